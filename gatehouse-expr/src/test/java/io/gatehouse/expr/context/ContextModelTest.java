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

    @Test
    void seededHeadersAreCopiedInOnFirstUseAndKnowWhetherTheyChanged() {
        List<Map.Entry<String, String>> received = new java.util.ArrayList<>(List.of(
                Map.entry("Accept", "a"), Map.entry("X-Tag", "1"), Map.entry("x-tag", "2")));
        Headers h = new Headers().seed(received);
        assertThat(h.sameAsSeed()).isTrue();
        received.add(Map.entry("Late", "copied in on first use, not before"));
        assertThat(h.values("X-TAG")).containsExactly("1", "2");
        assertThat(h.keys()).containsExactly("Accept", "X-Tag", "Late");
        assertThat(h.sameAsSeed()).as("reading changes nothing").isTrue();
        assertThat(h.seedSource()).isSameAs(received);
        h.remove("late");
        assertThat(h.sameAsSeed()).isFalse();
        assertThat(new Headers().sameAsSeed()).as("never seeded").isFalse();
        Headers untouched = new Headers().seed(received);
        untouched.set("Accept", "b");
        assertThat(untouched.sameAsSeed()).isFalse();
        assertThat(untouched.values("accept")).containsExactly("b");
        assertThat(untouched.count()).isEqualTo(3);
    }

    @Test
    void receivedUrlIsParsedOnFirstReadAndTheOriginalStaysAsReceived() {
        Request r = new Request().receivedUrl("https://Api.Example.com/a/b?x=1");
        assertThat(r.urlUnread()).isTrue();
        assertThat(r.originalUrl().path()).isEqualTo("/a/b");
        assertThat(r.urlUnread()).as("reading the original leaves the URL unread").isTrue();
        r.url().path("/rewritten");
        assertThat(r.urlUnread()).isFalse();
        assertThat(r.url().toString()).isEqualTo("https://api.example.com/rewritten?x=1");
        assertThat(r.originalUrl().toString()).isEqualTo("https://api.example.com/a/b?x=1");
        Request replaced = new Request().receivedUrl("https://h/p");
        replaced.url(Url.parse("https://other/q"));
        assertThat(replaced.urlUnread()).isFalse();
        assertThat(replaced.originalUrl().host()).isEqualTo("h");
    }

    @Test
    void theGatewaysRequestIdIsParsedOnlyWhenRead() {
        PolicyContext c = new PolicyContext().requestId("0f8fad5b-d9cb-469f-a165-70867728950e");
        assertThat(c.requestId().format("D")).isEqualTo("0f8fad5b-d9cb-469f-a165-70867728950e");
        assertThat(new PolicyContext().requestId()).isNotNull();
    }
}
