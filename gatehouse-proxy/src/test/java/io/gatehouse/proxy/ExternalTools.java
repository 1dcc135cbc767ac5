package io.gatehouse.proxy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian tools the end-to-end tests drive (nginx, curl, openssl). Locally a missing tool skips
 * the test with a message; under CI ({@code -Dgatehouse.requireExternalTools=true}) it fails,
 * because .ci/run installs them.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    public static String find(String name) {
        for (String dir : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin", "/sbin", "/bin"}) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        return null;
    }

    /** The tool's path; skips (or, in CI, fails) the test when it is not installed. */
    public static String require(String name) {
        String p = find(name);
        if (p == null) {
            String msg = name + " is not installed (apt-get install " + debianPackage(name) + "); .ci/run installs it";
            if (Boolean.getBoolean("gatehouse.requireExternalTools")) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
        return p;
    }

    private static String debianPackage(String tool) {
        return switch (tool) {
            case "nginx" -> "nginx-light";
            case "systemd-analyze" -> "systemd";
            case "h2load" -> "nghttp2-client";
            case "softhsm2-util" -> "softhsm2";
            case "pkcs11-tool" -> "opensc";
            default -> tool;
        };
    }
}
