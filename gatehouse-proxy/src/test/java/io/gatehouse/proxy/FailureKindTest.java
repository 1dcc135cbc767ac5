package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.policy.GatewayException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@link FailureKind} is the one table where the data plane's failures get their status, source and reason. */
class FailureKindTest {

    @Test
    void everyKindBecomesTheSameLastErrorItsResponseSays() {
        for (FailureKind k : FailureKind.values()) {
            GatewayException g = k.exception("detail for the log");
            assertThat(g.status()).as(k.name()).isEqualTo(k.status.code());
            assertThat(g.source()).as(k.name()).isEqualTo(k.source);
            assertThat(g.reason()).as(k.name()).isEqualTo(k.reason);
            assertThat(g.getMessage()).isEqualTo("detail for the log");
            assertThat(k.publicMessage).as(k.name()).doesNotContain("detail");
        }
    }

    /** No failure is made from literals elsewhere in the data plane (they drifted from the table before). */
    @Test
    void theProxyMakesNoGatewayExceptionOutsideTheTable() throws IOException {
        Path main = Path.of("src/main/java/io/gatehouse/proxy");
        assertThat(main).isDirectory();
        List<String> offenders;
        try (Stream<Path> files = Files.walk(main)) { // with its packages (telemetry)
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.getFileName().toString().equals("FailureKind.java"))
                    .filter(f -> {
                        try {
                            return Files.readString(f).contains("GatewayException(");
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(f -> f.getFileName().toString()).toList();
        }
        assertThat(offenders).isEmpty();
    }
}
