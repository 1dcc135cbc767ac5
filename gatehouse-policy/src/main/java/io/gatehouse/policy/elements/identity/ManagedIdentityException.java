package io.gatehouse.policy.elements.identity;

/** No managed identity token could be had; the message says why and holds no secret. */
public final class ManagedIdentityException extends RuntimeException {
    public ManagedIdentityException(String message) {
        super(message);
    }
}
