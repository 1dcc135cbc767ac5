package io.gatehouse.expr.context;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContextModelTest {
    @Test
    void headersMatchNamesCaseInsensitivelyAndKeepFirstSeenOrder() {
        Headers h = new Headers().add("B", "1").add("a", "2").add("b", "3");
        assertThat(h.keys()).containsExactly("B", "a");
        assertThat(h.values("b")).containsExactly("1", "3");
        assertThat(h.getValueOrDefault("B", "x")).isEqualTo("1,3");
        assertThat(h.remove("A")).isTrue();
        assertThat(h.count()).isEqualTo(1);
        assertThat(h.entries()).containsExactly(Map.entry("B", List.of("1", "3")));
    }

    @Test
    void urlPrintsWithoutTheDefaultPortAndDecodesQuery() {
        Url u = Url.parse("HTTPS://Api.Example.com:443/a%20b?x=1&y=two%20words&x=3");
        assertThat(u.host()).isEqualTo("api.example.com");
        assertThat(u.port()).isEqualTo(443);
        assertThat(u.query()).containsEntry("x", List.of("1", "3")).containsEntry("y", List.of("two words"));
        assertThat(u.toString()).isEqualTo("https://api.example.com/a%20b?x=1&x=3&y=two%20words");
        assertThat(Url.parse("http://h:8080").path()).isEqualTo("/");
        assertThatThrownBy(() -> Url.parse("no-scheme")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bodyDecodesWithTheContentTypeCharsetAndIsConsumedOnce() {
        MessageBody b = new MessageBody("é".getBytes(StandardCharsets.ISO_8859_1), "text/plain; charset=ISO-8859-1");
        assertThat(b.readString(true)).isEqualTo("é");
        assertThat(b.consumed()).isFalse();
        assertThat(b.readString(false)).isEqualTo("é");
        assertThat(b.readString(false)).isEmpty();
        assertThat(b.bytes()).isEmpty();
    }

    @Test
    void subscriptionKeysStayOutOfToString() {
        Subscription s = new Subscription("s1", "gold", io.gatehouse.common.Secret.of("k-123"), null);
        assertThat(s.toString()).doesNotContain("k-123");
    }

    @Test
    void elapsedGrowsFromTheStartTime() {
        PolicyContext c = new PolicyContext();
        c.started(io.gatehouse.expr.lib.DateTime.utcNow(), System.nanoTime() - 2_000_000_000L);
        assertThat(c.elapsed().totalSeconds()).isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void urlCopyIsIndependentOfItsOriginal() {
        Url original = Url.parse("https://api.example.com:8443/a/b?x=1&x=2&y=3");
        Url copy = original.copy();
        assertThat(copy.toString()).isEqualTo(original.toString());
        copy.path("/changed");
        copy.query().get("x").add("9");
        copy.query().remove("y");
        assertThat(original.toString()).isEqualTo("https://api.example.com:8443/a/b?x=1&x=2&y=3");
    }
}
