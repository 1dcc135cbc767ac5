package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Section;

/**
 * Which message a header or body policy changes: the request in inbound and backend, the
 * response in outbound and on-error and inside {@code return-response}.
 */
enum Message {
    REQUEST, RESPONSE;

    static Message of(Section s) {
        return s == Section.INBOUND || s == Section.BACKEND ? REQUEST : RESPONSE;
    }

    Headers headers(PolicyContext c) {
        return this == REQUEST ? c.request().headers() : c.response().headers();
    }

    MessageBody body(PolicyContext c) {
        return this == REQUEST ? c.request().body() : c.response().body();
    }

    void body(PolicyContext c, MessageBody b) {
        if (this == REQUEST) {
            c.request().body(b);
        } else {
            c.response().body(b);
        }
    }
}
