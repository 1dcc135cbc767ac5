package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.model.ApiConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

/** Where {@link Subscriptions} finds a request's key, and how it keeps a key out of logged URLs. */
class SubscriptionsUnitTest {
    static final ApiConfig.SubscriptionKeys DEFAULT = ApiConfig.SubscriptionKeys.DEFAULT;
    static final ApiConfig.SubscriptionKeys CUSTOM = new ApiConfig.SubscriptionKeys(true, "X-Api-Key", "api key");

    static HttpHeaders headers(String... nv) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nv.length; i += 2) {
            h.add(nv[i], nv[i + 1]);
        }
        return h;
    }

    @Test
    void theHeaderComesFirstAndItsNameIgnoresCase() {
        assertThat(Subscriptions.presented(DEFAULT, headers("ocp-apim-subscription-key", "k1"), "/a?subscription-key=k2"))
                .isEqualTo("k1");
        assertThat(Subscriptions.presented(DEFAULT, headers(), "/a?subscription-key=k2")).isEqualTo("k2");
        // an empty header is no key: the query parameter is read
        assertThat(Subscriptions.presented(DEFAULT, headers("Ocp-Apim-Subscription-Key", ""), "/a?subscription-key=k2"))
                .isEqualTo("k2");
        assertThat(Subscriptions.presented(DEFAULT, headers(), "/a")).isNull();
        assertThat(Subscriptions.presented(DEFAULT, headers(), "/a?subscription-key=")).isNull();
        assertThat(Subscriptions.presented(DEFAULT, headers(), "/a?subscription-keys=x&xsubscription-key=y")).isNull();
    }

    @Test
    void queryNamesAndValuesArePercentDecoded() {
        assertThat(Subscriptions.presented(CUSTOM, headers(), "/a?x=1&api%20key=a%2Bb%3D")).isEqualTo("a+b=");
        assertThat(Subscriptions.presented(CUSTOM, headers(), "/a?api+key=v#frag")).isEqualTo("v");
        assertThat(Subscriptions.presented(CUSTOM, headers("Ocp-Apim-Subscription-Key", "k"), "/a")).isNull();
        // a malformed escape is taken as written, not an error
        assertThat(Subscriptions.presented(DEFAULT, headers(), "/a?subscription-key=%zz")).isEqualTo("%zz");
    }

    @Test
    void loggedUrlsHaveTheKeyParameterBlanked() {
        String api = DEFAULT.query();
        assertThat(Subscriptions.maskQueryKey("/orders/1?a=1&subscription-key=SECRET&b=2", api))
                .isEqualTo("/orders/1?a=1&subscription-key=[redacted]&b=2");
        assertThat(Subscriptions.maskQueryKey("/orders/1?subscription%2Dkey=SECRET", api))
                .isEqualTo("/orders/1?subscription%2Dkey=[redacted]");
        assertThat(Subscriptions.maskQueryKey("/orders/1", api)).isEqualTo("/orders/1");
        assertThat(Subscriptions.maskQueryKey("/orders/1?other=SECRET", api)).isEqualTo("/orders/1?other=SECRET");
    }
}
