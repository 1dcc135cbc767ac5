package io.gatehouse.policy.elements;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.policy.ResponseBodyTap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What the LLM token policies ({@code llm-token-limit}, {@code llm-emit-token-metric} and their
 * {@code azure-openai-} twins) share: the token usage a backend reports, read from its JSON
 * {@code usage} (OpenAI chat/completions/embeddings: {@code prompt_tokens},
 * {@code completion_tokens}, {@code total_tokens}; the Responses API's {@code input_tokens},
 * {@code output_tokens}) or, for {@code text/event-stream}, from the chunk that carries it, and
 * the prompt estimate made with OpenAI's BPE encodings (jtokkit).
 *
 * <p>Bodies the gateway streams are read as they pass ({@link ResponseBodyTap}): a JSON body
 * through Jackson's non-blocking parser, which keeps no more than the token it is in; an event
 * stream one line at a time. Nothing here holds a whole body.
 */
final class LlmTokens {
    private LlmTokens() {
    }

    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);
    /** The longest event-stream line looked at; a longer one (never a usage chunk) is skipped. */
    static final int MAX_LINE = 1024 * 1024;

    /** Token counts; -1 where the backend did not say. */
    record Usage(long prompt, long completion, long total) {
        static final Usage NONE = new Usage(-1, -1, -1);

        boolean known() {
            return total >= 0 || prompt >= 0 || completion >= 0;
        }

        /** Total tokens: the reported total, else prompt plus completion (those known). */
        long totalOr(long fallback) {
            if (total >= 0) {
                return total;
            }
            if (prompt < 0 && completion < 0) {
                return fallback;
            }
            return Math.max(0, prompt) + Math.max(0, completion);
        }

        /** This usage with {@code prompt} filled in when the backend did not report it. */
        Usage withPromptEstimate(long estimate) {
            return prompt >= 0 || estimate < 0 ? this : new Usage(estimate, completion, total);
        }
    }

    // ---- encodings -------------------------------------------------------------------------

    private static final EncodingRegistry ENCODINGS = Encodings.newLazyEncodingRegistry();

    /**
     * The encodings the estimate uses, loaded (once per process) when a policy that estimates is
     * compiled, so that no request pays for reading the BPE ranks.
     */
    record Tokenizer(Encoding cl100k, Encoding o200k) {
        static Tokenizer load() {
            return new Tokenizer(ENCODINGS.getEncoding(EncodingType.CL100K_BASE), ENCODINGS.getEncoding(EncodingType.O200K_BASE));
        }

        /** o200k_base for the GPT-4o generation and later (and for models it cannot tell), cl100k_base for GPT-4, GPT-3.5 and the embeddings. */
        Encoding forModel(String model) {
            if (model == null) {
                return o200k;
            }
            String m = model.toLowerCase(Locale.ROOT);
            if ((m.startsWith("gpt-4") && !m.startsWith("gpt-4o") && !m.startsWith("gpt-4.")) || m.startsWith("gpt-3")
                    || m.startsWith("gpt-35") || m.startsWith("text-embedding")) {
                return cl100k;
            }
            return o200k;
        }

        int count(Encoding e, String text) {
            return text == null || text.isEmpty() ? 0 : e.countTokensOrdinary(text);
        }
    }

    /** What the policies read from a JSON request body: whether it asks for a stream, and the prompt's estimated tokens (-1 when not estimated). */
    record Prompt(boolean stream, long estimate, String model) {
        static final Prompt NONE = new Prompt(false, -1, null);
    }

    /**
     * Request bodies longer than this are read and estimated on {@link #ESTIMATES}, not on the
     * request's thread (an event loop): tokenizing costs about a microsecond per token, so a long
     * prompt would hold up every other connection of the loop.
     */
    static final int OFF_THREAD_BYTES = 16 * 1024;

    /** Where long prompts are estimated: a few daemon threads, half the processors. */
    static final java.util.concurrent.ExecutorService ESTIMATES = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), r -> {
                Thread t = new Thread(r, "gatehouse-token-estimate");
                t.setDaemon(true);
                return t;
            });

    /** The request body's bytes (not consuming it); empty when there is none. */
    static byte[] bytes(MessageBody body) {
        return body == null ? new byte[0] : body.bytes();
    }

    /**
     * {@code then} with the prompt read from {@code bytes} (see {@link #prompt}): at once for a
     * short body, returning {@code Policy.DONE}; for a long one, on {@link #ESTIMATES}, returning
     * the stage that ends once {@code then} ran (failing as it failed).
     */
    static java.util.concurrent.CompletionStage<Void> withPrompt(byte[] bytes, boolean estimate, Tokenizer tokenizer,
                                                                 Consumer<Prompt> then) {
        if (bytes.length <= OFF_THREAD_BYTES) {
            then.accept(prompt(bytes, estimate, tokenizer));
            return io.gatehouse.policy.spi.Policy.DONE;
        }
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> prompt(bytes, estimate, tokenizer), ESTIMATES).thenAccept(then);
    }

    /**
     * Reads the request body (not consuming it): {@code "stream": true}, and, when {@code estimate}
     * (or the request streams) and a tokenizer is given, the prompt's tokens: chat messages (with
     * OpenAI's per-message overhead of 3 tokens, 1 more for a name, and 3 for the reply's start),
     * {@code prompt} (completions) or {@code input} (embeddings, Responses API).
     */
    static Prompt prompt(byte[] bytes, boolean estimate, Tokenizer tokenizer) {
        if (bytes.length == 0) {
            return Prompt.NONE;
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException | RuntimeException e) {
            return Prompt.NONE; // not JSON: nothing to estimate
        }
        if (root == null || !root.isObject()) {
            return Prompt.NONE;
        }
        boolean stream = root.path("stream").asBoolean(false);
        String model = root.path("model").isTextual() ? root.path("model").asText() : null;
        if ((!estimate && !stream) || tokenizer == null) {
            return new Prompt(stream, -1, model);
        }
        Encoding enc = tokenizer.forModel(model);
        long tokens = 0;
        JsonNode messages = root.get("messages");
        if (messages != null && messages.isArray()) {
            for (JsonNode m : messages) {
                tokens += 3;
                tokens += tokenizer.count(enc, m.path("role").asText(""));
                tokens += text(m.get("content"), enc, tokenizer);
                if (m.hasNonNull("name")) {
                    tokens += 1 + tokenizer.count(enc, m.path("name").asText(""));
                }
            }
            tokens += 3;
        }
        JsonNode system = root.get("system"); // Anthropic Messages
        if (system != null) {
            tokens += text(system, enc, tokenizer);
        }
        for (String field : new String[] {"prompt", "input", "instructions"}) {
            JsonNode n = root.get(field);
            if (n != null) {
                tokens += text(n, enc, tokenizer);
            }
        }
        return new Prompt(stream, tokens, model);
    }

    /** The tokens of a content value: a string, an array of strings or parts ({@code text}), or messages with {@code content}. */
    private static long text(JsonNode n, Encoding enc, Tokenizer t) {
        if (n == null || n.isNull()) {
            return 0;
        }
        if (n.isTextual()) {
            return t.count(enc, n.asText());
        }
        long sum = 0;
        if (n.isArray()) {
            for (JsonNode part : n) {
                sum += text(part, enc, t);
            }
        } else if (n.isObject()) {
            if (n.has("text")) {
                sum += text(n.get("text"), enc, t);
            }
            if (n.has("content")) {
                sum += 3 + t.count(enc, n.path("role").asText("")) + text(n.get("content"), enc, t);
            }
        }
        return sum;
    }

    // ---- response usage ----------------------------------------------------------------------

    /** True for a {@code text/event-stream} content type. */
    static boolean isEventStream(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /** The usage of a whole response body (JSON or an event stream); {@link Usage#NONE} when it reports none. */
    static Usage usage(byte[] body, String contentType, Tokenizer tokenizer, String model) {
        UsageTap tap = tap(contentType, tokenizer, model, u -> {
        });
        tap.bytes(body, 0, body.length);
        tap.end(true);
        return tap.usage();
    }

    /** A tap reading the usage of a body of {@code contentType} as it passes; {@code done} gets it at the end. */
    static UsageTap tap(String contentType, Tokenizer tokenizer, String model, Consumer<Usage> done) {
        return isEventStream(contentType) ? new EventStreamUsage(tokenizer, model, done) : new JsonUsage(done);
    }

    /** A {@link ResponseBodyTap} that finds the usage; {@link #usage()} once ended. */
    abstract static sealed class UsageTap implements ResponseBodyTap permits JsonUsage, EventStreamUsage {
        private final Consumer<Usage> done;
        private boolean ended;
        Usage usage = Usage.NONE;

        UsageTap(Consumer<Usage> done) {
            this.done = done;
        }

        Usage usage() {
            return usage;
        }

        @Override
        public final void end(boolean complete) {
            if (ended) {
                return;
            }
            ended = true;
            finish(complete);
            done.accept(usage);
        }

        abstract void finish(boolean complete);
    }

    /**
     * The top-level {@code usage} object of a JSON body, read with Jackson's non-blocking parser
     * as the bytes come: only the current token is kept.
     */
    static final class JsonUsage extends UsageTap {
        private final JsonParser parser;
        private final ByteArrayFeeder feeder;
        private boolean broken;
        private int depth;
        private boolean usageNext;   // the last name at depth 1 was "usage"
        private boolean inUsage;     // inside the top-level usage object (at depth 2)
        private String field;
        private long prompt = -1;
        private long completion = -1;
        private long total = -1;

        JsonUsage(Consumer<Usage> done) {
            super(done);
            JsonParser p;
            try {
                p = JSON.createNonBlockingByteArrayParser();
            } catch (IOException e) {
                p = null;
            }
            parser = p;
            feeder = p == null ? null : (ByteArrayFeeder) p.getNonBlockingInputFeeder();
            broken = p == null;
        }

        @Override
        public void bytes(byte[] data, int offset, int length) {
            if (broken || length == 0) {
                return;
            }
            try {
                // the feeder refers to the array until it has been parsed, which drain() does now
                feeder.feedInput(data, offset, offset + length);
                drain();
            } catch (IOException | RuntimeException e) {
                broken = true; // not JSON: no usage
            }
        }

        private void drain() throws IOException {
            JsonToken t;
            while ((t = parser.nextToken()) != null && t != JsonToken.NOT_AVAILABLE) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> {
                        depth++;
                        if (usageNext && depth == 2 && t == JsonToken.START_OBJECT) {
                            inUsage = true;
                        }
                        usageNext = false;
                    }
                    case END_OBJECT, END_ARRAY -> {
                        if (inUsage && depth == 2) {
                            inUsage = false;
                        }
                        depth--;
                    }
                    case FIELD_NAME -> {
                        if (depth == 1) {
                            usageNext = "usage".equals(parser.currentName());
                        } else if (inUsage && depth == 2) {
                            field = parser.currentName();
                        }
                    }
                    case VALUE_NUMBER_INT -> {
                        if (inUsage && depth == 2) {
                            set(field, parser.getLongValue());
                        }
                        usageNext = false;
                    }
                    default -> usageNext = false;
                }
            }
        }

        private void set(String name, long v) {
            if (name == null) {
                return;
            }
            switch (name) {
                case "prompt_tokens", "input_tokens" -> prompt = v;
                case "completion_tokens", "output_tokens" -> completion = v;
                case "total_tokens" -> total = v;
                default -> {
                }
            }
        }

        @Override
        void finish(boolean complete) {
            if (!broken) {
                try {
                    feeder.endOfInput();
                    drain();
                } catch (IOException | RuntimeException e) {
                    broken = true;
                }
            }
            if (prompt >= 0 || completion >= 0 || total >= 0) {
                usage = new Usage(prompt, completion, total);
            }
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException ignored) {
                    // nothing held
                }
            }
        }
    }

    /**
     * An event stream ({@code data: {...}} lines): the usage of the last chunk that carries one
     * ({@code usage}, or {@code response.usage} for the Responses API's {@code response.completed}).
     * A stream that reports none (OpenAI sends it only with {@code stream_options.include_usage})
     * has its completion estimated from the chunks' {@code choices[].delta.content} when a
     * tokenizer is given. Keeps one line at a time, at most {@link #MAX_LINE} bytes.
     */
    static final class EventStreamUsage extends UsageTap {
        private final Tokenizer tokenizer;
        private final Encoding encoding;
        private byte[] line = new byte[256];
        private int length;
        private boolean overlong;
        private Usage reported;
        private long completionEstimate;

        EventStreamUsage(Tokenizer tokenizer, String model, Consumer<Usage> done) {
            super(done);
            this.tokenizer = tokenizer;
            this.encoding = tokenizer == null ? null : tokenizer.forModel(model);
        }

        @Override
        public void bytes(byte[] data, int offset, int count) {
            for (int i = offset; i < offset + count; i++) {
                byte b = data[i];
                if (b == '\n' || b == '\r') {
                    line();
                    continue;
                }
                if (overlong) {
                    continue;
                }
                if (length == line.length) {
                    if (line.length >= MAX_LINE) {
                        overlong = true;
                        continue;
                    }
                    line = Arrays.copyOf(line, Math.min(MAX_LINE, line.length * 2));
                }
                line[length++] = b;
            }
        }

        private void line() {
            int n = length;
            boolean skip = overlong;
            length = 0;
            overlong = false;
            if (skip || n < 5 || line[0] != 'd' || line[1] != 'a' || line[2] != 't' || line[3] != 'a' || line[4] != ':') {
                return;
            }
            int from = 5;
            while (from < n && line[from] == ' ') {
                from++;
            }
            if (n - from == 6 && new String(line, from, 6, StandardCharsets.US_ASCII).equals("[DONE]")) {
                return;
            }
            JsonNode chunk;
            try {
                chunk = MAPPER.readTree(line, from, n - from);
            } catch (IOException | RuntimeException e) {
                return;
            }
            if (chunk == null || !chunk.isObject()) {
                return;
            }
            JsonNode u = chunk.get("usage");
            if ((u == null || !u.isObject()) && chunk.path("response").isObject()) {
                u = chunk.path("response").get("usage");
            }
            if (u != null && u.isObject()) {
                reported = new Usage(number(u, "prompt_tokens", "input_tokens"), number(u, "completion_tokens", "output_tokens"),
                        number(u, "total_tokens", null));
            }
            if (encoding != null) {
                for (JsonNode choice : chunk.path("choices")) {
                    JsonNode content = choice.path("delta").get("content");
                    if (content != null && content.isTextual()) {
                        completionEstimate += tokenizer.count(encoding, content.asText());
                    }
                }
            }
        }

        private static long number(JsonNode u, String name, String alt) {
            JsonNode n = u.get(name);
            if ((n == null || !n.canConvertToLong()) && alt != null) {
                n = u.get(alt);
            }
            return n != null && n.canConvertToLong() ? n.asLong() : -1;
        }

        @Override
        void finish(boolean complete) {
            if (length > 0) {
                line();
            }
            line = null;
            if (reported != null && reported.known()) {
                usage = reported;
            } else if (encoding != null && completionEstimate > 0) {
                usage = new Usage(-1, completionEstimate, -1);
            }
        }
    }
}
