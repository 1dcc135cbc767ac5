package io.gatehouse.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse import apiops DIR -o FILE}: a Gatehouse config from an APIM export. */
@Command(name = "import", description = "Write a Gatehouse config from an Azure API Management export.",
        subcommands = {ImportCommand.Apiops.class, ImportCommand.Arm.class})
final class ImportCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** What both importers write, and where. */
    static final class Output {
        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "the config file to write")
        Path output;

        @Option(names = "--files", paramLabel = "FOLDER", defaultValue = ApiopsImporter.DEFAULT_FILES,
                description = "where the copied policy documents and specifications go, relative to the config's folder (default: ${DEFAULT-VALUE})")
        String files;

        @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
                description = "the plain-HTTP listener the config starts with (default: ${DEFAULT-VALUE}); add TLS hostnames yourself")
        int port;

        @Option(names = "--force", description = "overwrite FILE and the files folder when they exist")
        boolean force;

        /** Runs an importer: its report on standard error, exit 0; an import error on standard error, exit 1. */
        static int run(Callable<ApiopsImporter.Result> importer) throws Exception {
            try {
                System.err.print(importer.call().report());
                return 0;
            } catch (ApiopsImporter.ImportException e) {
                System.err.println("gatehouse import: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "apiops", description = {
            "Read the artifact folder the APIOps extractor writes and write a Gatehouse config.",
            "Policy documents and API specifications are copied next to the config (--files). What cannot be"
                    + " carried over (secrets, Azure-only policies, loggers, ...) is printed on standard error and"
                    + " listed in a comment block at the top of the config. Exit 0 when written, 1 on an error."})
    static final class Apiops implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the APIOps artifact folder (the extractor's output folder)")
        Path dir;

        @Mixin
        Output out;

        @Override
        public Integer call() throws Exception {
            return Output.run(() -> new ApiopsImporter(dir, out.output, out.files, out.port, out.force).run());
        }
    }

    @Command(name = "arm", description = {
            "Read an ARM template export of an API Management service (its Microsoft.ApiManagement/service/* resources)"
                    + " and write a Gatehouse config, as apiops does.",
            "Exit 0 when written, 1 on an error."})
    static final class Arm implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TEMPLATE", description = "the ARM template (JSON)")
        Path template;

        @Mixin
        Output out;

        @Override
        public Integer call() throws Exception {
            return Output.run(() -> new ArmTemplateImporter(template, out.output, out.files, out.port, out.force).run());
        }
    }
}
