package io.gatehouse.policy.elements.liquid;

import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random templates built from Liquid's pieces: compiling never throws (it reports or succeeds),
 * and rendering what compiled either produces text or fails with a LiquidException.
 */
class LiquidFuzzTest {
    private static final String[] PIECES = {
        "{{", "}}", "{%", "%}", "{{-", "-}}", "{%-", "-%}", " if ", " elsif ", " else ", " endif ", " unless ", " endunless ",
        " for ", " in ", " endfor ", " JSONArrayFor ", " endJSONArrayFor ", " case ", " when ", " endcase ", " assign ", " = ",
        " capture ", " endcapture ", " comment ", " endcomment ", " raw ", " endraw ", " break ", " continue ",
        "body", ".", "items", "[0]", "[", "]", "x", "context.Request.Method", "forloop.index", " | ", "Upcase", "Plus", "DividedBy",
        "Split", "Join", "Date", "Slice", "Truncate", ":", ",", " 1 ", " 0 ", "-3", "'a'", "\"b\"", "'", "\"", " == ", " < ", " contains ",
        " and ", " or ", "(1..3)", "(", ")", "..", " limit:", " offset:", " reversed ", "text ", "\n", "<a>", "{", "}", "%", "-", "nil", "empty"
    };

    @Test
    void randomTemplatesNeverThrowOutsideTheEngine() {
        Random r = new Random(20261127);
        PolicyContext c = new PolicyContext();
        Object body = LiquidBindings.json("{\"items\":[1,2,\"three\",{\"x\":[4]}],\"x\":\"1,2\"}", true);
        int compiled = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(25);
            for (int k = 0; k < n; k++) {
                sb.append(PIECES[r.nextInt(PIECES.length)]);
            }
            String text = sb.toString();
            LiquidSource.Builder b = new LiquidSource.Builder(new Position("f.xml", 1, 1));
            for (int k = 0; k < text.length(); k++) {
                b.append(text.charAt(k), new Position("f.xml", 1, k + 1));
            }
            List<String> errors = new ArrayList<>();
            LiquidTemplate t;
            try {
                t = LiquidTemplate.compile(b.build(), name -> null, (at, msg) -> errors.add(msg));
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("compile threw on: " + text, e);
            }
            assertThat(t == null).as(text).isEqualTo(!errors.isEmpty());
            if (t == null) {
                continue;
            }
            compiled++;
            try {
                t.render(LiquidBindings.of(c, body));
            } catch (LiquidException expected) {
                // a filter on a value it cannot take: the request fails with a reason
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("render threw on: " + text, e);
            }
        }
        assertThat(compiled).as("some random templates are valid").isGreaterThan(500);
    }
}
