package io.gatehouse.tls;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.security.auth.login.LoginException;

/**
 * Opens a private key on a PKCS#11 token through the JDK's SunPKCS11 provider: configures a
 * provider for the module and slot, logs in with the PIN (a {@code KeyStore} of type PKCS11),
 * finds the key and its certificate, and checks with one signature that the key signs for the
 * certificate that will be sent. The key stays on the token: what comes back is a handle that
 * signs through the provider ({@link TokenSigner} in handshakes).
 *
 * <p>SunPKCS11 reaches a private key only through the certificate object that shares its CKA_ID
 * on the token, and names that pair by the certificate's CKA_LABEL (or, when the certificate has
 * no label, {@code 0x} and the id in hex). So {@code keyLabel} is matched against those names,
 * {@code keyId} is turned into that name (the label of the certificate with that id), and the
 * certificate must be on the token even when {@code certificateFile} supplies the chain.
 *
 * <p>A token label is resolved to a slot id (and a key id to its certificate's label) with the JDK's own PKCS#11 wrapper
 * ({@code sun.security.pkcs11.wrapper}, the same module instance SunPKCS11 uses), which needs
 * {@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (the
 * launcher and the runnable jar's manifest give it); without it, {@code slot} or
 * {@code slotListIndex} still work.
 *
 * <p>Providers are kept per module and slot for the life of the process, so reloads reuse the
 * token's sessions instead of opening new ones. PKCS#11 logins are per process and token: once a
 * token is logged in, a later load with a different PIN is not refused by the token.
 *
 * <p>Messages never contain the PIN.
 */
public final class Pkcs11Tokens {
    private static final Map<String, Provider> PROVIDERS = new ConcurrentHashMap<>();
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final String WRAPPER = "sun.security.pkcs11.wrapper.PKCS11";

    private Pkcs11Tokens() {
    }

    /**
     * The key and chain {@code spec} names; the chain is {@code chainFromFile} when given (its
     * leaf must be the token's key's certificate), else the token's certificate.
     *
     * @throws Pkcs11Exception naming the config key the problem is about
     */
    public static KeyMaterial load(Pkcs11KeySpec spec, List<X509Certificate> chainFromFile) {
        if (!Files.isRegularFile(spec.library())) {
            throw new Pkcs11Exception("library", "PKCS#11 library not found: " + spec.library()
                    + " (expected the path of the token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)");
        }
        Long slot = spec.slot() != null ? spec.slot() : spec.tokenLabel() != null ? slotOfLabel(spec) : null;
        String slotLine = slot != null ? "slot = " + slot : "slotListIndex = " + spec.slotListIndex();
        Provider provider = provider(spec, slotLine);
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS11", provider);
        } catch (GeneralSecurityException | ProviderException e) {
            throw new Pkcs11Exception(tokenField(spec), "cannot open " + spec.describeToken() + " through " + spec.library() + ": " + reason(e), e);
        }
        char[] pin = spec.pin().reveal();
        try {
            ks.load(null, pin);
        } catch (IOException | GeneralSecurityException | ProviderException e) {
            if (pinRefused(e)) {
                throw new Pkcs11Exception("pin", "the token refused the PIN for " + spec.describeToken()
                        + " (" + pkcs11Code(e) + "; expected the token's user PIN)");
            }
            throw new Pkcs11Exception("pin", "cannot log in to " + spec.describeToken() + ": " + reason(e), e);
        } finally {
            java.util.Arrays.fill(pin, '\0');
        }
        String alias = spec.keyLabel() != null ? spec.keyLabel() : aliasOfId(spec, slot);
        String field = spec.keyLabel() != null ? "keyLabel" : "keyId";
        PrivateKey key;
        List<X509Certificate> tokenChain;
        try {
            if (!ks.isKeyEntry(alias)) {
                throw new Pkcs11Exception(field, "no private key " + (spec.keyLabel() != null ? "labelled '" + spec.keyLabel()
                        + "'" : "with id " + spec.keyId()) + " on " + spec.describeToken()
                        + " (" + found(ks) + "; a key is found through the certificate object with the same id on the token)");
            }
            Key k = ks.getKey(alias, null);
            if (!(k instanceof PrivateKey pk)) {
                throw new Pkcs11Exception(field, spec.describeKey() + " on " + spec.describeToken() + " is not a private key");
            }
            key = pk;
            tokenChain = new ArrayList<>();
            Certificate[] chain = ks.getCertificateChain(alias);
            if (chain != null) {
                for (Certificate c : chain) {
                    if (c instanceof X509Certificate x) {
                        tokenChain.add(x);
                    }
                }
            }
        } catch (GeneralSecurityException | ProviderException e) {
            throw new Pkcs11Exception(field, "cannot read " + spec.describeKey() + " on " + spec.describeToken() + ": "
                    + reason(e), e);
        }
        List<X509Certificate> chain = chainFromFile != null && !chainFromFile.isEmpty() ? chainFromFile : tokenChain;
        if (chain.isEmpty()) {
            throw new Pkcs11Exception(field, spec.describeKey() + " on " + spec.describeToken()
                    + " has no certificate (put it on the token with the key's id, or give certificateFile)");
        }
        String mismatchField = chainFromFile != null && !chainFromFile.isEmpty() ? "certificateFile" : field;
        if (!signsFor(key, provider, chain.get(0))) {
            throw new Pkcs11Exception(mismatchField, "the certificate '"
                    + io.gatehouse.common.x509.DotNetNames.format(chain.get(0).getSubjectX500Principal())
                    + "' does not match " + spec.describeKey() + " on " + spec.describeToken()
                    + " (expected the certificate issued for that key)");
        }
        return new KeyMaterial(key, chain, provider);
    }

    private static String tokenField(Pkcs11KeySpec spec) {
        return spec.tokenLabel() != null ? "tokenLabel" : spec.slot() != null ? "slot" : "slotListIndex";
    }

    private static Provider provider(Pkcs11KeySpec spec, String slotLine) {
        String library = spec.library().toAbsolutePath().normalize().toString();
        String cacheKey = library + "\n" + slotLine;
        Provider p = PROVIDERS.get(cacheKey);
        if (p != null) {
            return p;
        }
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new Pkcs11Exception("library", "this Java runtime has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
        }
        String config = "--name = gatehouse" + NAMES.incrementAndGet() + "\n"
                + "library = \"" + library.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n"
                + slotLine + "\n";
        try {
            p = base.configure(config);
        } catch (RuntimeException e) {
            // the JDK's loader names the module's path, sometimes twice ("PATH: file too shortPATH"): it is said once below
            String raw = reason(e);
            String why = raw.replace(spec.library().toString(), "").replaceAll("^[:\\s]+", "").strip();
            if (why.isEmpty()) {
                why = raw;
            }
            String field = why.toLowerCase(Locale.ROOT).contains("slot") ? tokenField(spec) : "library";
            throw new Pkcs11Exception(field, "cannot use " + spec.describeToken() + " of the PKCS#11 library "
                    + spec.library() + ": " + why + (field.equals("library")
                            ? " (expected a PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)"
                            : " (expected a slot the module lists, with an initialised token)"), e);
        }
        Provider raced = PROVIDERS.putIfAbsent(cacheKey, p);
        return raced != null ? raced : p;
    }

    /**
     * The JDK's own PKCS#11 binding ({@code sun.security.pkcs11.wrapper.PKCS11}, the instance
     * SunPKCS11 shares for the module), reached by reflection: the few calls SunPKCS11's
     * configuration has no key for (token labels, certificate ids). Needs
     * {@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}.
     */
    private static final class Wrapper {
        private static final long CKF_SERIAL_SESSION = 4;
        private static final long CKA_CLASS = 0;
        private static final long CKA_LABEL = 3;
        private static final long CKA_ID = 0x102;
        private static final long CKO_CERTIFICATE = 1;

        private final Object p11;
        private final Class<?> type;
        private final Class<?> attribute;

        /** @throws ReflectiveOperationException when this runtime does not let Gatehouse reach the wrapper */
        Wrapper(Path library) throws ReflectiveOperationException {
            type = Class.forName(WRAPPER);
            attribute = Class.forName("sun.security.pkcs11.wrapper.CK_ATTRIBUTE");
            Method getInstance = null;
            for (Method m : type.getMethods()) {
                if (m.getName().equals("getInstance") && m.getParameterCount() == 4) {
                    getInstance = m;
                }
            }
            if (getInstance == null) {
                throw new NoSuchMethodException("PKCS11.getInstance");
            }
            p11 = getInstance.invoke(null, library.toAbsolutePath().normalize().toString(), "C_GetFunctionList", null, false);
        }

        private Object call(String name, Class<?>[] types, Object... args) throws ReflectiveOperationException {
            return type.getMethod(name, types).invoke(p11, args);
        }

        long[] slots(boolean withToken) throws ReflectiveOperationException {
            return (long[]) call("C_GetSlotList", new Class<?>[] {boolean.class}, withToken);
        }

        String tokenLabel(long slot) throws ReflectiveOperationException {
            Object info = call("C_GetTokenInfo", new Class<?>[] {long.class}, slot);
            return new String((char[]) info.getClass().getField("label").get(info)).strip();
        }

        /** The label of the certificate object with CKA_ID {@code id} on the token in {@code slot}, or null. */
        String certificateLabel(long slot, byte[] id) throws ReflectiveOperationException {
            Object[] template = (Object[]) java.lang.reflect.Array.newInstance(attribute, 2);
            template[0] = attribute.getConstructor(long.class, long.class).newInstance(CKA_CLASS, CKO_CERTIFICATE);
            template[1] = attribute.getConstructor(long.class, Object.class).newInstance(CKA_ID, id);
            Class<?> templateType = template.getClass();
            long session = (long) call("C_OpenSession", new Class<?>[] {long.class, long.class, Object.class,
                    Class.forName("sun.security.pkcs11.wrapper.CK_NOTIFY")}, slot, CKF_SERIAL_SESSION, null, null);
            try {
                call("C_FindObjectsInit", new Class<?>[] {long.class, templateType}, session, template);
                long[] found;
                try {
                    found = (long[]) call("C_FindObjects", new Class<?>[] {long.class, long.class}, session, 2L);
                } finally {
                    call("C_FindObjectsFinal", new Class<?>[] {long.class}, session);
                }
                if (found == null || found.length != 1) {
                    return null; // none, or several: SunPKCS11 then names them otherwise
                }
                Object[] read = (Object[]) java.lang.reflect.Array.newInstance(attribute, 1);
                read[0] = attribute.getConstructor(long.class).newInstance(CKA_LABEL);
                call("C_GetAttributeValue", new Class<?>[] {long.class, long.class, templateType}, session, found[0], read);
                char[] label = (char[]) attribute.getMethod("getCharArray").invoke(read[0]);
                return label == null || label.length == 0 ? null : new String(label);
            } finally {
                call("C_CloseSession", new Class<?>[] {long.class}, session);
            }
        }
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
    }

    /** The slot id of the token labelled {@code spec.tokenLabel()}, through the JDK's PKCS#11 wrapper. */
    private static long slotOfLabel(Pkcs11KeySpec spec) {
        Wrapper w;
        try {
            w = new Wrapper(spec.library());
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof ReflectiveOperationException || cause instanceof SecurityException) {
                throw new Pkcs11Exception("tokenLabel", "cannot look up token labels in this Java runtime (run with "
                        + "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED, as the "
                        + "gatehouse launcher does, or give 'slot' or 'slotListIndex' instead)", cause);
            }
            throw new Pkcs11Exception("library", "cannot load the PKCS#11 library " + spec.library() + ": "
                    + reason(cause) + " (expected a PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)", cause);
        }
        List<String> labels = new ArrayList<>();
        try {
            for (long slot : w.slots(true)) {
                String label = w.tokenLabel(slot);
                if (label.equals(spec.tokenLabel())) {
                    return slot;
                }
                if (!label.isEmpty()) { // SoftHSM, for one, lists a blank, uninitialised token too
                    labels.add("'" + label + "'");
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = unwrap(e);
            throw new Pkcs11Exception("tokenLabel", "cannot list the tokens of " + spec.library() + ": " + reason(cause),
                    cause);
        }
        throw new Pkcs11Exception("tokenLabel", "no token labelled '" + spec.tokenLabel() + "' in " + spec.library()
                + " (" + (labels.isEmpty() ? "it has no initialised token" : "tokens found: " + String.join(", ", labels))
                + ")");
    }

    /**
     * The name SunPKCS11's key store gives the key with CKA_ID {@code spec.keyId()}: its
     * certificate's label, looked up through the wrapper; {@code 0x} and the id when the
     * certificate has no label (or the wrapper cannot be reached, or several certificates share
     * the id).
     */
    private static String aliasOfId(Pkcs11KeySpec spec, Long slot) {
        String byId = "0x" + spec.keyId();
        try {
            Wrapper w = new Wrapper(spec.library());
            long s = slot != null ? slot : w.slots(false)[spec.slotListIndex()];
            String label = w.certificateLabel(s, java.util.HexFormat.of().parseHex(spec.keyId()));
            return label != null ? label : byId;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return byId;
        }
    }

    /** Signs a random message with the token key and verifies it with the certificate's public key. */
    private static boolean signsFor(PrivateKey key, Provider provider, X509Certificate leaf) {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (alg == null) {
            throw new Pkcs11Exception("keyLabel", "the key's type " + key.getAlgorithm()
                    + " is not supported for TLS here (expected RSA or EC)");
        }
        byte[] message = new byte[32];
        new SecureRandom().nextBytes(message);
        try {
            Signature signer = Signature.getInstance(alg, provider);
            signer.initSign(key);
            signer.update(message);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(alg);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(message);
            return verifier.verify(sig);
        } catch (java.security.InvalidKeyException e) {
            return false;
        } catch (GeneralSecurityException | ProviderException e) {
            throw new Pkcs11Exception("keyLabel", "the token could not sign with the key (" + reason(e) + ")", e);
        }
    }

    private static boolean pinRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LoginException || t instanceof java.security.UnrecoverableKeyException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && m.contains("CKR_PIN")) {
                return true;
            }
        }
        return false;
    }

    private static String pkcs11Code(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("CKR_")) {
                int i = m.indexOf("CKR_");
                int j = i;
                while (j < m.length() && (Character.isLetterOrDigit(m.charAt(j)) || m.charAt(j) == '_')) {
                    j++;
                }
                return m.substring(i, j);
            }
        }
        return "login failed";
    }

    /** The innermost message of a provider failure; these name PKCS#11 return codes and paths, never the PIN. */
    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    private static String found(KeyStore ks) throws java.security.KeyStoreException {
        List<String> keys = new ArrayList<>();
        for (String a : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(a)) {
                keys.add("'" + a + "'");
            }
        }
        return keys.isEmpty() ? "the token holds no private key with a certificate" : "keys found: " + String.join(", ", keys);
    }
}
