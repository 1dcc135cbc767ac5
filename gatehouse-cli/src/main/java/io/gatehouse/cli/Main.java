package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code gatehouse} command line. */
@Command(name = "gatehouse",
        mixinStandardHelpOptions = true,
        version = "gatehouse 0.1.0",
        description = "An API gateway built around mutual TLS that runs APIM policy documents.",
        subcommands = {
                RunCommand.class,
                ValidateCommand.class,
                PolicyCommand.class,
                ProbeCommand.class,
                ExplainCommand.class,
                CertificatesCommand.class,
                TraceCommand.class,
                QuickstartCommand.class,
                PkiCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        withHelp(cl);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("gatehouse: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("GATEHOUSE_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl.execute(args);
    }

    /** {@code --help}/{@code -h} (and {@code --version}/{@code -V}) on every command and subcommand. */
    private static void withHelp(CommandLine cl) {
        cl.getCommandSpec().mixinStandardHelpOptions(true);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
                continue;
            }
            withHelp(sub);
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
