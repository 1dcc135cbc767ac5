package io.gatehouse.policy.elements.liquid;

/** A Liquid template failed while rendering (a filter could not work on its input, a limit was hit). */
public final class LiquidException extends RuntimeException {
    public LiquidException(String message) {
        super(message);
    }
}
