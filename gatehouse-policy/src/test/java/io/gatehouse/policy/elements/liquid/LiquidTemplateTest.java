package io.gatehouse.policy.elements.liquid;

import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Liquid engine on its own: syntax, tags, filters, errors with positions. */
class LiquidTemplateTest {
    private final List<String> errors = new ArrayList<>();

    private LiquidTemplate compile(String text) {
        LiquidSource.Builder b = new LiquidSource.Builder(new Position("t.xml", 1, 1));
        int line = 1;
        int col = 1;
        for (char c : text.toCharArray()) {
            b.append(c, new Position("t.xml", line, col));
            if (c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return LiquidTemplate.compile(b.build(), name -> name.equals("tenant") ? "contoso" : null,
                (at, msg) -> errors.add(at + ": " + msg));
    }

    private String render(String text, Object body) {
        LiquidTemplate t = compile(text);
        assertThat(errors).isEmpty();
        PolicyContext c = new PolicyContext();
        c.request().method("POST").url(Url.parse("https://api.contoso.com/orders/7?expand=lines&x=1"));
        c.request().headers().set("X-Trace", "abc");
        c.variables().set("region", "west");
        return t.render(LiquidBindings.of(c, body));
    }

    private String json(String template, String json) {
        return render(template, LiquidBindings.json(json, false));
    }

    @Test
    void outputsDottedPathsIntoAJsonBody() {
        assertThat(json("{{body.customer.name}} #{{ body.orders[1].id }} {{body.missing.deep}}.",
                "{\"customer\":{\"name\":\"Ada\"},\"orders\":[{\"id\":1},{\"id\":22}]}")).isEqualTo("Ada #22 .");
    }

    @Test
    void readsContextMembersAsApimDocumentsThem() {
        assertThat(render("{{context.Request.Method}} {{context.Request.Url.Host}}{{context.Request.Url.Path}} "
                + "{{context.Request.Url.Query.expand}} {{context.Request.Headers.X-Trace}} {{context.Request.Headers[\"x-trace\"]}} "
                + "{{context.Variables.region}} {{context.Variables[\"region\"] | Upcase}}", null))
                .isEqualTo("POST api.contoso.com/orders/7 lines abc abc west WEST");
        assertThat(render("{{context.Request.Url}}|{{context.Request.Headers}}|{{context.Request.Url.Query.nope}}|{{context.Nope.Deeper}}", null))
                .isEqualTo("https://api.contoso.com/orders/7?expand=lines&x=1|||");
    }

    @Test
    void ifElsifElseAndUnlessPickTheRightBranch() {
        String t = "{% if body.n > 10 %}big{% elsif body.n == 5 %}five{% else %}small{% endif %}"
                + "{% unless body.flag %}-noflag{% else %}-flag{% endunless %}";
        assertThat(json(t, "{\"n\":11}")).isEqualTo("big-noflag");
        assertThat(json(t, "{\"n\":5,\"flag\":true}")).isEqualTo("five-flag");
        assertThat(json(t, "{\"n\":1,\"flag\":false}")).isEqualTo("small-noflag");
    }

    @Test
    void conditionsUseAndOrContainsAndEmpty() {
        String t = "{% if body.tags contains 'vip' and body.name != empty %}vip{% endif %}"
                + "{% if body.x == nil or body.name == 'z' %}|nox{% endif %}{% if body.list == empty %}|nolist{% endif %}";
        assertThat(json(t, "{\"tags\":[\"a\",\"vip\"],\"name\":\"Bo\",\"list\":[]}")).isEqualTo("vip|nox|nolist");
        assertThat(json(t, "{\"tags\":[\"a\"],\"name\":\"\",\"x\":1,\"list\":[1]}")).isEmpty();
    }

    @Test
    void forLoopExposesForloopAndSupportsLimitOffsetReversedElse() {
        String items = "{\"items\":[\"a\",\"b\",\"c\",\"d\"],\"none\":[]}";
        assertThat(json("{% for x in body.items %}{{forloop.index}}{{x}}{% if forloop.first %}^{% endif %}{% unless forloop.last %},{% endunless %}{% endfor %}",
                items)).isEqualTo("1a^,2b,3c,4d");
        assertThat(json("{% for x in body.items limit:2 offset:1 %}{{x}}{% endfor %}|{% for x in body.items reversed %}{{x}}{% endfor %}",
                items)).isEqualTo("bc|dcba");
        assertThat(json("{% for x in body.none %}{{x}}{% else %}empty{% endfor %}", items)).isEqualTo("empty");
        assertThat(json("{% for i in (1..5) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{i}}{% endfor %}",
                items)).isEqualTo("13");
    }

    @Test
    void jsonArrayForWritesCommasBetweenItems() {
        assertThat(json("[{% JSONArrayFor o in body.orders %}{\"n\":{{o.id}}}{% endJSONArrayFor %}]",
                "{\"orders\":[{\"id\":1},{\"id\":2},{\"id\":3}]}")).isEqualTo("[{\"n\":1},{\"n\":2},{\"n\":3}]");
    }

    @Test
    void assignCaptureCaseAndComment() {
        assertThat(json("{% assign who = body.name | Downcase %}{% capture greeting %}hi {{who}}{% endcapture %}"
                + "{{greeting | Upcase}}{% comment %}{{ not rendered {% if %}{% endcomment %}"
                + "{% case body.kind %}{% when 'a', 'b' %}AB{% when 'c' %}C{% else %}other{% endcase %}"
                + "{% raw %}{{literal}}{% endraw %}", "{\"name\":\"ADA\",\"kind\":\"b\"}"))
                .isEqualTo("HI ADAAB{{literal}}");
    }

    @Test
    void keepsWhitespaceAsWrittenUnlessADashTrimsIt() {
        assertThat(json("a\n  {% if true %}\n  b\n  {% endif %}\nc", "{}")).isEqualTo("a\n  \n  b\n  \nc");
        assertThat(json("a\n  {%- if true -%}\n  b\n  {%- endif -%}\nc|{{- ' x ' -}} |", "{}")).isEqualTo("abc| x |");
    }

    @Test
    void stringFiltersFollowDotLiquid() {
        assertThat(json("{{ 'hello world' | Capitalize | Append: '!' | Prepend: '> ' }}|{{ ' x ' | Strip }}|{{ ' x ' | Lstrip }}|"
                + "{{ 'a-b-a' | Replace: 'a', 'o' }}|{{ 'a-b-a' | ReplaceFirst: 'a', 'o' }}|{{ 'a-b-a' | Remove: 'a' }}|"
                + "{{ 'a-b-a' | RemoveFirst: 'a-' }}|{{ 'ABCDEFGHIJ' | Truncate: 6 }}|{{ 'one two three four' | TruncateWords: 2 }}|"
                + "{{ '<p>Hi &amp;</p><script>x</script>' | StripHtml }}|{{ 'a<b>\"c\"' | Escape }}|{{ 'a\nb' | NewlineToBr }}|"
                + "{{ 'a\r\nb' | StripNewlines }}|{{ 'Hello' | Slice: 1, 3 }}|{{ 'Hello' | Slice: -2 }}|{{ 'x y' | UrlEncode }}|"
                + "{{ 'x+y%21' | UrlDecode }}|{{ 'abc' | Size }}", "{}"))
                .isEqualTo("> Hello world!|x|x |o-b-o|o-b-a|-b-|b-a|ABC...|one two...|Hi &amp;|a&lt;b&gt;&quot;c&quot;|a<br />\nb|"
                        + "ab|ell|l|x+y|x y!|3");
    }

    @Test
    void listFiltersWorkOnJsonArrays() {
        String data = "{\"n\":[3,1,2,3,null],\"people\":[{\"name\":\"Zed\",\"age\":30},{\"name\":\"Amy\",\"age\":25}]}";
        assertThat(json("{{ body.n | Compact | Uniq | Sort | Join: ',' }}|{{ body.n | First }}|{{ body.n | Compact | Last }}|"
                + "{{ body.people | Map: 'name' | Join: ' & ' }}|{{ body.people | Sort: 'age' | Map: 'name' | First }}|"
                + "{{ 'a,b,c' | Split: ',' | Size }}|{{ body.people.size }}|{{ body.n | Slice: 1, 2 | Join: '' }}", data))
                .isEqualTo("1,2,3|3|3|Zed & Amy|Amy|3|2|12");
    }

    @Test
    void mathFiltersKeepIntegersIntegralAndRoundHalfToEven() {
        assertThat(json("{{ 7 | Plus: 3 }}|{{ 7 | Minus: 10 }}|{{ 7 | Times: '3' }}|{{ 7 | DividedBy: 2 }}|{{ 7.0 | DividedBy: 2 }}|"
                + "{{ 7 | Modulo: 3 }}|{{ -4 | Abs }}|{{ 2.5 | Round }}|{{ 3.14159 | Round: 2 }}|{{ 3 | AtLeast: 5 }}|{{ 3 | AtMost: 1 }}|"
                + "{{ body.price | Times: 2 }}", "{\"price\":1.25}"))
                .isEqualTo("10|-3|21|3|3.5|1|4|2|3.14|5|1|2.5");
    }

    @Test
    void mathFollowsCSharpIntegerDivisionAndDecimalPrecision() {
        assertThat(json("{{ -7 | DividedBy: 2 }}|{{ -7 | Modulo: 2 }}|{{ 10.0 | DividedBy: 3 }}|{{ body.none | Plus: 1 }}|"
                + "{{ 'x' | AtLeast: 3 }}|{{ 'x' | Round }}|{{ 'a,,b,' | Split: ',' | Size }}|{{ 1234.5 | Currency }}|{{ 1234.5 | Currency: 'en-US' }}|"
                + "{{ 'b,A,c' | Split: ',' | Sort | Join: '' }}", "{}"))
                .isEqualTo("-3|-1|3.3333333333333333333333333333||x||2|¤1,234.50|$1,234.50|Abc");
    }

    @Test
    void defaultReplacesNilFalseAndEmpty() {
        assertThat(json("{{ body.a | Default: 'x' }}{{ body.b | Default: 'y' }}{{ body.c | Default: 'z' }}{{ body.d | Default: 'w' }}"
                + "{{ body.e | Default: 'v' }}", "{\"b\":false,\"c\":\"\",\"d\":\"kept\",\"e\":\"  \"}")).isEqualTo("xyzkeptv");
    }

    @Test
    void dateFilterUsesDotNetFormats() {
        assertThat(json("{{ body.when | Date: 'yyyyMMddTHH:mm:ssZ' }}|{{ body.when | Date: 'dd/MM/yyyy' }}|{{ 'soon' | Date: 'yyyy' }}",
                "{\"when\":\"2024-03-05T14:07:09Z\"}")).isEqualTo("20240305T14:07:09Z|05/03/2024|soon");
    }

    @Test
    void parsesJsonDatesAsApimDoesUnlessToldNotTo() {
        String data = "{\"at\":\"2012-03-21T05:40Z\",\"ms\":\"/Date(1198908717056)/\",\"off\":\"2024-01-01T01:00:00+02:00\","
                + "\"day\":\"2024-01-01\",\"bad\":\"2024-02-30T10:00:00Z\"}";
        String t = "{{body.at}}|{{body.ms}}|{{body.off}}|{{body.day}}|{{body.bad}}|{{body.at | Date: 'yyyy'}}";
        assertThat(render(t, LiquidBindings.json(data, true)))
                .isEqualTo("03/21/2012 05:40:00|12/29/2007 06:11:57|12/31/2023 23:00:00|2024-01-01|2024-02-30T10:00:00Z|2012");
        assertThat(render(t, LiquidBindings.json(data, false)))
                .isEqualTo("2012-03-21T05:40Z|/Date(1198908717056)/|2024-01-01T01:00:00+02:00|2024-01-01|2024-02-30T10:00:00Z|2012");
    }

    @Test
    void bindsAnXmlBodyByLocalNamesWithRepeatedElementsAsLists() {
        String xml = """
                <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
                  <soap:Body><Orders customer="42"><Order><Id>1</Id></Order><Order><Id>2</Id></Order><Note xsi:nil="true"/></Orders></soap:Body>
                </soap:Envelope>""";
        String t = "{{body.Body.Orders.customer}}:{% for o in body.Body.Orders.Order %}{{o.Id}}{% endfor %}:[{{body.Body.Orders.Note}}]"
                + "{% if body.Body.Orders.Note == nil %}nil{% endif %}";
        assertThat(render(t, LiquidBindings.xml(xml, false))).isEqualTo("42:12:[]");
        assertThat(render(t, LiquidBindings.xml(xml, true))).isEqualTo("42:12:[]nil");
        String one = "<r><Order><Id>9</Id></Order></r>";
        assertThat(render("{% for o in body.Order %}{{o.Id}}{% endfor %}", LiquidBindings.xml(one, false))).isEqualTo("9");
    }

    @Test
    void refusesXmlWithADoctypeSoEntitiesCannotExpand() {
        assertThatThrownBy(() -> LiquidBindings.xml("<!DOCTYPE r [<!ENTITY a \"aaaa\">]><r>&a;</r>", false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void replacesABareNamedValueButNotTemplateVariables() {
        assertThat(json("{{tenant}}/{{ tenant }}/{{body}}", "\"b\"")).isEqualTo("contoso//b");
    }

    @Test
    void reportsSyntaxErrorsWithLineAndColumn() {
        assertThat(compile("ok\n  {% if body.x %}\nno end")).isNull();
        assertThat(errors).containsExactly("t.xml:2:3: {% if %} is not closed: expected {% endif %}");
        errors.clear();
        compile("{{ body.x | upcase }}\n{{ body.y | Upcas }}\n{{ 1 | Plus }}\n{% frobnicate %}\n{% endfor %}\n{{ 'open }}\n{{ x");
        assertThat(errors).containsExactly(
                "t.xml:7:1: '{{' is not closed: expected '}}'",
                "t.xml:1:13: unknown filter 'upcase': APIM's Liquid uses Pascal-case filter names, write 'Upcase'",
                "t.xml:2:13: unknown filter 'Upcas' (did you mean 'Upcase'?); APIM supports: " + String.join(", ", Filters.names()),
                "t.xml:3:8: filter 'Plus' takes 1 argument, found 0",
                "t.xml:4:1: unknown tag 'frobnicate' (supported: assign, capture, case, comment, for, if, JSONArrayFor, raw, unless)",
                "t.xml:5:1: {% endfor %} without a matching opening tag",
                "t.xml:6:4: string is not closed: expected '");
    }

    @Test
    void reportsMissingInAndBadAssign() {
        compile("{% for x body.items %}{% endfor %}{% assign = 1 %}{% assign a 1 %}{% if %}{% endif %}");
        assertThat(errors).hasSize(4);
        assertThat(errors.get(0)).isEqualTo("t.xml:1:10: expected 'in' after the loop variable in {% for %}");
        assertThat(errors.get(1)).contains("expected a variable name");
        assertThat(errors.get(2)).contains("expected '=' after 'a'");
        assertThat(errors.get(3)).contains("expected a value");
    }

    @Test
    void failsAtRenderWhenAFilterCannotWorkOrALimitIsHit() {
        LiquidTemplate t = compile("{{ 1 | DividedBy: body.zero }}");
        assertThatThrownBy(() -> t.render(Map.of("body", Map.of("zero", 0L))))
                .isInstanceOf(LiquidException.class).hasMessage("t.xml:1:8: DividedBy: divided by 0");
        LiquidTemplate loop = compile("{% for i in (1..99999) %}{% for j in (1..99999) %}x{% endfor %}{% endfor %}");
        assertThatThrownBy(() -> loop.render(Map.of())).isInstanceOf(LiquidException.class)
                .hasMessage("the template took more than " + LiquidTemplate.MAX_STEPS + " steps");
        LiquidTemplate range = compile("{% for i in (1..999999999) %}x{% endfor %}");
        assertThatThrownBy(() -> range.render(Map.of())).isInstanceOf(LiquidException.class).hasMessage("range (1..999999999) is too long");
    }

    @Test
    void knowsWhetherItReadsTheBody() {
        assertThat(compile("{{context.Request.Method}}").reads("body")).isFalse();
        assertThat(compile("{% if body.x %}{% endif %}").reads("body")).isTrue();
    }
}
