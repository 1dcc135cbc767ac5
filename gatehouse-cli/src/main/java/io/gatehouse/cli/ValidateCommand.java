package io.gatehouse.cli;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse validate -c FILE}: loads everything without serving. */
@Command(name = "validate", description = "Load a config (certificates, policies, references) without serving. Exit 0 clean, 1 on errors.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "the config file")
    Path config;

    @Option(names = "--hash", description = "also print the config's content hash, as /health on the admin port shows it")
    boolean hash;

    @Override
    public Integer call() {
        ConfigResult result;
        try {
            result = ConfigLoader.load(config); // reports its own failures as diagnostics
        } catch (Throwable t) { // and should it ever not: a diagnostic, and exit 1
            Diagnostics d = new Diagnostics();
            d.internalError(config.toString(), t);
            result = new ConfigResult(null, d, Set.of());
        }
        System.out.print(result.diagnostics().render());
        long errors = result.diagnostics().errorCount();
        long warnings = result.diagnostics().warningCount();
        System.out.println(config + ": " + (errors == 0 ? "OK" : "invalid") + " (" + errors + " error"
                + (errors == 1 ? "" : "s") + ", " + warnings + " warning" + (warnings == 1 ? "" : "s") + ")");
        if (hash && result.config() != null) {
            // the same files give the same hash here and on every gateway serving them (configHash on /health)
            System.out.println("config hash: " + result.config().contentHash());
        }
        return errors == 0 ? 0 : 1;
    }
}
