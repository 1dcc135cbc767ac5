package io.gatehouse.cli;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.policy.PolicyCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse policy check FILE...}: checks standalone policy documents. */
@Command(name = "policy", description = "Work with APIM policy documents.", subcommands = PolicyCommand.Check.class)
final class PolicyCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "check", description = "Check policy documents and fragments as the gateway loads them. Exit 0 clean, 1 on errors.")
    static final class Check implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE", description = "policy documents (<policies>) or fragments (<fragment>)")
        List<Path> files;

        @Option(names = {"-c", "--config"}, paramLabel = "CONFIG",
                description = "check against this config's named values, certificates, backends and fragments"
                        + " (without it, unknown {{names}} are placeholders and other references are warnings)")
        Path config;

        @Option(names = "--api", paramLabel = "ID",
                description = "with -c: check the documents as the given API's (its GraphQL schema, for validate-graphql-request)")
        String api;

        @Override
        public Integer call() {
            Diagnostics d;
            try {
                if (api != null && config == null) {
                    d = new Diagnostics();
                    d.error("--api", 0, 0, "--api needs -c CONFIG: the API comes from the config");
                } else {
                    d = config == null ? PolicyCheck.check(files) : withConfig();
                }
            } catch (Throwable t) { // never a stack trace for a document: a diagnostic, and exit 1
                d = new Diagnostics();
                d.internalError(files.size() == 1 ? files.get(0).toString() : files.toString(), t);
            }
            System.out.print(d.render());
            long errors = d.errorCount();
            long warnings = d.warningCount();
            System.out.println(files.size() + " file" + (files.size() == 1 ? "" : "s") + ": " + errors + " error"
                    + (errors == 1 ? "" : "s") + ", " + warnings + " warning" + (warnings == 1 ? "" : "s"));
            return errors == 0 ? 0 : 1;
        }

        /** The config's own diagnostics, then the files' checked against what it defines; a config that does not load checks nothing. */
        private Diagnostics withConfig() {
            ConfigResult loaded = ConfigLoader.load(config);
            Diagnostics d = loaded.diagnostics();
            if (loaded.config() == null) {
                d.error(config.toString(), 0, 0, "the config does not load (see above): the policy documents were not checked against it");
                return d;
            }
            if (api != null && loaded.config().model().apis().stream().noneMatch(a -> a.id().equals(api))) {
                d.error(config.toString(), 0, 0, "--api " + api + ": the config has no API with that id");
                return d;
            }
            return PolicyCheck.check(files, loaded.config().policyEnvironment(), d, api);
        }
    }
}
