package io.gatehouse.proxy.telemetry;

import io.gatehouse.expr.context.Headers;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/** Where the W3C propagator reads and writes {@code traceparent}/{@code tracestate}: Netty's headers, the policies' headers. */
final class Carriers {
    private Carriers() {
    }

    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";

    static final TextMapGetter<HttpHeaders> NETTY_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    /** Sets (replaces) the header: the backend sees one traceparent, the gateway's. */
    static final TextMapSetter<HttpHeaders> NETTY_SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.set(key, value);
        }
    };

    static final TextMapSetter<Headers> POLICY_SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.set(key, value);
        }
    };
}
