package io.gatehouse.cli;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse validate -c FILE}: loads everything without serving. */
@Command(name = "validate", description = "Load a config (certificates, policies, references) without serving. Exit 0 clean, 1 on errors.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "the config file")
    Path config;

    @Override
    public Integer call() {
        ConfigResult result = ConfigLoader.load(config);
        System.out.print(result.diagnostics().render());
        long errors = result.diagnostics().errorCount();
        long warnings = result.diagnostics().warningCount();
        System.out.println(config + ": " + (errors == 0 ? "OK" : "invalid") + " (" + errors + " error"
                + (errors == 1 ? "" : "s") + ", " + warnings + " warning" + (warnings == 1 ? "" : "s") + ")");
        return errors == 0 ? 0 : 1;
    }
}
