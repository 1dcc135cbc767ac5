package io.gatehouse.tls;

import io.gatehouse.common.Secret;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where a private key lives on a PKCS#11 token: the module ({@code library}), the token (exactly
 * one of {@code tokenLabel}, {@code slot} or {@code slotListIndex}), the key (exactly one of
 * {@code keyLabel} or {@code keyId}) and the user PIN. {@link #toString()} never prints the PIN.
 *
 * @param slot the PKCS#11 slot id, as {@code softhsm2-util --show-slots} or
 *     {@code pkcs11-tool -L} print it
 * @param slotListIndex the position in the module's slot list (SunPKCS11's {@code slotListIndex})
 * @param keyId the object's CKA_ID in hex, or null
 */
public record Pkcs11KeySpec(Path library, String tokenLabel, Long slot, Integer slotListIndex, String keyLabel,
        String keyId, Secret pin) {

    public Pkcs11KeySpec {
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(pin, "pin");
        int tokens = (tokenLabel != null ? 1 : 0) + (slot != null ? 1 : 0) + (slotListIndex != null ? 1 : 0);
        if (tokens != 1) {
            throw new IllegalArgumentException("exactly one of tokenLabel, slot, slotListIndex");
        }
        if ((keyLabel == null) == (keyId == null)) {
            throw new IllegalArgumentException("exactly one of keyLabel, keyId");
        }
        if (keyId != null) {
            keyId = HexFormat.of().formatHex(HexFormat.of().parseHex(keyId));
        }
    }

    /** How the token is named, for messages: {@code token 'gatehouse'}, {@code slot 42}. */
    public String describeToken() {
        if (tokenLabel != null) {
            return "token '" + tokenLabel + "'";
        }
        return slot != null ? "slot " + slot : "slot list index " + slotListIndex;
    }

    /** How the key is named, for messages: {@code key 'server'}, {@code key id 01}. */
    public String describeKey() {
        return keyLabel != null ? "key '" + keyLabel + "'" : "key id " + keyId;
    }

    @Override
    public String toString() {
        return "Pkcs11KeySpec[library=" + library + ", " + describeToken() + ", " + describeKey() + ", pin=******]";
    }
}
