package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** URL templates as operations (hand-written or from an OpenAPI document) match request paths. */
class UrlTemplateTest {

    @Test
    void wholeSegmentParametersLiteralsAndTrailingSlashes() {
        UrlTemplate t = UrlTemplate.compile("/pets/{petId}");
        assertThat(t.match("/pets/42")).isEqualTo(Map.of("petId", "42"));
        assertThat(t.match("/pets/42/")).isEqualTo(Map.of("petId", "42"));
        assertThat(t.match("/pets/")).isNull();
        assertThat(t.match("/pets")).isNull();
        assertThat(t.match("/pets/42/photos")).isNull();
        assertThat(UrlTemplate.compile("/pets/{petId}/photos/").match("/pets/1/photos")).isEqualTo(Map.of("petId", "1"));
        assertThat(UrlTemplate.compile("/pets").match("/pets/")).isEqualTo(Map.of());
    }

    @Test
    void parametersInsideASegment() {
        UrlTemplate t = UrlTemplate.compile("/files/{name}.{ext}");
        assertThat(t.match("/files/report.pdf")).containsExactly(Map.entry("name", "report"), Map.entry("ext", "pdf"));
        // the first parameter ends where the text after it first follows
        assertThat(t.match("/files/a.b.json")).containsExactly(Map.entry("name", "a"), Map.entry("ext", "b.json"));
        assertThat(t.match("/files/report")).isNull();
        assertThat(t.match("/files/.pdf")).isNull();
        assertThat(t.match("/files/report.")).isNull();

        UrlTemplate suffix = UrlTemplate.compile("/pets/{petId}.json");
        assertThat(suffix.match("/pets/7.json")).isEqualTo(Map.of("petId", "7"));
        assertThat(suffix.match("/pets/.json")).isNull();
        assertThat(suffix.match("/pets/7.xml")).isNull();
        assertThat(suffix.match("/pets/7")).isNull();

        UrlTemplate around = UrlTemplate.compile("/v{major}-{minor}/x");
        assertThat(around.match("/v1-2/x")).containsExactly(Map.entry("major", "1"), Map.entry("minor", "2"));
        assertThat(around.match("/v1-2-3/x")).containsExactly(Map.entry("major", "1"), Map.entry("minor", "2-3"));
        assertThat(around.match("/w1-2/x")).isNull();
        assertThat(around.match("/v-2/x")).isNull();
        assertThat(around.match("/v1-/x")).isNull();

        // a long hostile segment is one pass, not a backtracking search
        String hostile = "/files/" + "a.".repeat(50_000) + "!";
        assertThat(UrlTemplate.compile("/files/{a}.{b}.{c}.{d}!x").match(hostile)).isNull();
    }

    @Test
    void aSegmentWithTextOfItsOwnIsMoreSpecificThanABareParameter() {
        assertThat(UrlTemplate.compile("/pets/{petId}.json").specificity())
                .isGreaterThan(UrlTemplate.compile("/pets/{petId}").specificity());
        assertThat(UrlTemplate.compile("/pets/mine").specificity())
                .isGreaterThan(UrlTemplate.compile("/pets/{petId}").specificity());
    }
}
