package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.xml.XmlElement;

import java.util.LinkedHashMap;
import java.util.Map;

/** What rate-limit, rate-limit-by-key, quota and quota-by-key share: counter keys and the header/variable options. */
final class Limits {
    private Limits() {
    }

    /**
     * Where a policy without counter-key counts: per place in the configuration (scope, section,
     * path), per API below global scope, per operation at operation scope, and per subscription
     * once Gatehouse has them.
     */
    record Location(String prefix, Scope scope) {
        static Location of(String kind, CompileContext ctx) {
            return new Location(kind + "|" + ctx.scope().label() + "|" + ctx.section().element() + "|" + ctx.path(), ctx.scope());
        }

        String key(PolicyContext c) {
            StringBuilder sb = new StringBuilder(prefix);
            if (scope != Scope.GLOBAL && c.api() != null) {
                sb.append("|api=").append(c.api().id());
            }
            if (scope == Scope.OPERATION && c.operation() != null) {
                sb.append("|op=").append(c.operation().id());
            }
            if (c.subscription() != null) {
                sb.append("|sub=").append(c.subscription().id());
            }
            return sb.toString();
        }
    }

    /** The optional header and variable names of rate-limit and rate-limit-by-key. */
    record Reporting(String retryAfterHeader, String retryAfterVariable, String remainingHeader, String remainingVariable,
                     String totalHeader) {
        static final String[] ATTRIBUTES = {"retry-after-header-name", "retry-after-variable-name", "remaining-calls-header-name",
                "remaining-calls-variable-name", "total-calls-header-name"};

        static Reporting read(Attributes a) {
            return new Reporting(a.text("retry-after-header-name", "Retry-After"), a.text("retry-after-variable-name", null),
                    a.text("remaining-calls-header-name", null), a.text("remaining-calls-variable-name", null),
                    a.text("total-calls-header-name", null));
        }

        /**
         * A call was counted: remaining calls into the variable, and the headers onto whatever response
         * leaves (unless that response already has them, as a later rate-limit's 429 does).
         */
        void allowed(Exchange exchange, long limit, long count) {
            long remaining = Math.max(0, limit - count);
            if (remainingVariable != null) {
                exchange.context().variables().set(remainingVariable, (int) Math.min(Integer.MAX_VALUE, remaining));
            }
            if (remainingHeader != null || totalHeader != null) {
                exchange.onResponse(r -> {
                    if (remainingHeader != null && !r.headers().containsKey(remainingHeader)) {
                        r.headers().set(remainingHeader, Long.toString(remaining));
                    }
                    if (totalHeader != null && !r.headers().containsKey(totalHeader)) {
                        r.headers().set(totalHeader, Long.toString(limit));
                    }
                });
            }
        }

        /** The call is refused: variables set, and the headers the 429 should carry. */
        Map<String, String> refused(Exchange exchange, long limit, long retryAfter) {
            if (retryAfterVariable != null) {
                exchange.context().variables().set(retryAfterVariable, (int) Math.min(Integer.MAX_VALUE, retryAfter));
            }
            if (remainingVariable != null) {
                exchange.context().variables().set(remainingVariable, 0);
            }
            Map<String, String> h = new LinkedHashMap<>();
            h.put(retryAfterHeader == null ? "Retry-After" : retryAfterHeader, Long.toString(retryAfter));
            if (remainingHeader != null) {
                h.put(remainingHeader, "0");
            }
            if (totalHeader != null) {
                h.put(totalHeader, Long.toString(limit));
            }
            return h;
        }
    }

    /** rate-limit and quota take {@code <api>}/{@code <operation>} limits only at product scope, which Gatehouse does not have. */
    static boolean noProductChildren(XmlElement e, CompileContext ctx) {
        boolean ok = true;
        for (XmlElement c : e.elements()) {
            if (c.name().equals("api") || c.name().equals("operation")) {
                ctx.error(c.position(), "<" + e.name() + "> with <" + c.name() + "> limits is not supported yet (APIM uses it at product scope, which Gatehouse does not have); "
                        + "put a <" + e.name() + "> in that API's or operation's policy instead");
            } else {
                ctx.error(c.position(), "unexpected <" + c.name() + "> inside <" + e.name() + ">");
            }
            ok = false;
        }
        return ok;
    }

    private static final java.util.regex.Pattern RESPONSE = java.util.regex.Pattern.compile("\\bcontext\\s*\\.\\s*Response\\b");

    /**
     * True if {@code v} is an expression that reads {@code context.Response} (found in its source
     * text), so it means something only once the response is known.
     */
    static boolean readsResponse(io.gatehouse.policy.spi.Value<?> v) {
        return v != null && v.expression() != null && RESPONSE.matcher(v.expression().source()).find();
    }

    /** "d.hh:mm:ss" like .NET's TimeSpan, for APIM's quota messages. */
    static String timeSpan(long seconds) {
        long d = seconds / 86400;
        long h = seconds % 86400 / 3600;
        long m = seconds % 3600 / 60;
        long s = seconds % 60;
        return (d > 0 ? d + "." : "") + String.format("%02d:%02d:%02d", h, m, s);
    }
}
