package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code gatehouse} command line. */
@Command(name = "gatehouse",
        mixinStandardHelpOptions = true,
        version = "gatehouse 0.1.0",
        description = "An API gateway built around mutual TLS that runs APIM policy documents.")
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * The commands, in the order {@code --help} lists them. picocli reads every option of every
     * command it is given (reflection over a few hundred members, a fifth of a short command's
     * start): a command line naming one command gets only that one; anything else gets them all.
     */
    private static final String[] COMMANDS = {"run", "validate", "policy", "probe", "explain", "certificates",
            "trace", "quickstart", "pki", "import"};

    /** The command called {@code name}, or null. (A switch, not a table of lambdas: each lambda costs start time.) */
    private static Object command(String name) {
        return switch (name) {
            case "run" -> new RunCommand();
            case "validate" -> new ValidateCommand();
            case "policy" -> new PolicyCommand();
            case "probe" -> new ProbeCommand();
            case "explain" -> new ExplainCommand();
            case "certificates" -> new CertificatesCommand();
            case "trace" -> new TraceCommand();
            case "quickstart" -> new QuickstartCommand();
            case "pki" -> new PkiCommand();
            case "import" -> new ImportCommand();
            default -> null;
        };
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = commandLine(args);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("gatehouse: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("GATEHOUSE_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl.execute(args);
    }

    /** The command line for {@code args}: with only the command they name, or every command. */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        Object only = args.length > 0 ? command(args[0]) : null;
        if (only != null) {
            cl.addSubcommand(args[0], only);
        } else {
            for (String name : COMMANDS) {
                cl.addSubcommand(name, command(name));
            }
            cl.addSubcommand("help", new CommandLine.HelpCommand());
        }
        withHelp(cl);
        return cl;
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
