package io.gatehouse.expr;

/**
 * A policy expression failed while it ran: an exception in user code, a null dereference, a bad
 * cast or a limit exceeded. The message reads like the .NET one APIM would show (for example
 * {@code "Object reference not set to an instance of an object."}) so that {@code
 * context.LastError.Message} looks the same as on APIM.
 */
public class ExpressionException extends RuntimeException {
    private final String dotNetType;

    public ExpressionException(String message) {
        this("System.InvalidOperationException", message, null);
    }

    public ExpressionException(String dotNetType, String message) {
        this(dotNetType, message, null);
    }

    public ExpressionException(String dotNetType, String message, Throwable cause) {
        super(message == null || message.isBlank() ? "Exception of type '" + dotNetType + "' was thrown." : message, cause);
        this.dotNetType = dotNetType;
    }

    /** The .NET exception type this failure corresponds to, e.g. {@code System.NullReferenceException}. */
    public String dotNetType() {
        return dotNetType;
    }

    public static ExpressionException nullReference() {
        return new ExpressionException("System.NullReferenceException",
                "Object reference not set to an instance of an object.");
    }

    public static ExpressionException invalidCast() {
        return new ExpressionException("System.InvalidCastException", "Specified cast is not valid.");
    }

    public static ExpressionException format() {
        return new ExpressionException("System.FormatException", "Input string was not in a correct format.");
    }

    public static ExpressionException argument(String message) {
        return new ExpressionException("System.ArgumentException", message);
    }
}
