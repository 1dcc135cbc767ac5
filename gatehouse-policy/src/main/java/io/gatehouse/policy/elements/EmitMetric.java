package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.MetricSink;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * {@code <emit-metric name="Request" [namespace="API Management"] [value="1"]>} with one to ten
 * {@code <dimension name="..." [value="..."]/>}: sends one data point to the environment's
 * {@link MetricSink}: the gateway's Prometheus registry when the gateway set one on the
 * {@link io.gatehouse.policy.Exchange}, else the environment's (nothing by default). {@code value} may be a policy
 * expression giving a number; dimension names and values may be expressions too.
 *
 * <p>A dimension may leave out its value when its name is one of APIM's default dimensions, which
 * are filled from the request: {@code API ID}, {@code Operation ID}, {@code Product ID},
 * {@code User ID}, {@code Subscription ID}, {@code Location} (the deployment region),
 * {@code Gateway ID} (the deployment's service name) and {@code Backend ID} (the backend chosen
 * for the request). Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/emit-metric-policy">APIM emit-metric</a>
 */
public final class EmitMetric implements Policy {
    public static final PolicyType TYPE = new PolicyType("emit-metric", PolicyType.ALL, EmitMetric::compile);

    /** APIM's limit of custom dimensions per policy. */
    static final int MAX_DIMENSIONS = 10;

    /** Default dimension names (lower case) to how each is read. */
    private static final Map<String, Function<Exchange, String>> DEFAULTS = Map.of(
            "api id", x -> x.context().api() == null ? null : x.context().api().id(),
            "operation id", x -> x.context().operation() == null ? null : x.context().operation().id(),
            "product id", x -> x.context().product() == null ? null : x.context().product().id(),
            "user id", x -> x.context().user() == null ? null : x.context().user().id(),
            "subscription id", x -> x.context().subscription() == null ? null : x.context().subscription().id(),
            "location", x -> x.context().deployment().region(),
            "gateway id", x -> x.context().deployment().serviceName(),
            "backend id", Exchange::backendId);

    record Dimension(Value<String> name, Value<String> value, Function<Exchange, String> byDefault) {
    }

    private final String namespace;
    private final String name;
    private final Value<Object> value;
    private final List<Dimension> dimensions;
    private final MetricSink sink;

    private EmitMetric(String namespace, String name, Value<Object> value, List<Dimension> dimensions, MetricSink sink) {
        this.namespace = namespace;
        this.name = name;
        this.value = value;
        this.dimensions = List.copyOf(dimensions);
        this.sink = sink;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "name", "namespace", "value");
        ctx.onlyChildren(e, "dimension");
        long errors = ctx.diagnostics().errorCount();
        String name = a.requiredText("name");
        if (name != null && name.isBlank()) {
            ctx.error(a.position("name"), "attribute 'name' on <emit-metric> is empty (expected: the metric's name)");
        }
        String namespace = a.text("namespace", "API Management");
        Value<Object> value = a.has("value") ? ctx.value(a.raw("value"), Object.class, "emit-metric", t -> {
            try {
                return Double.parseDouble(t.strip());
            } catch (NumberFormatException x) {
                ctx.error(a.position("value"), "attribute 'value' on <emit-metric>: '" + a.raw("value").written()
                        + "' (expected: a number or a policy expression)");
                return null;
            }
        }) : Value.constant(1.0);
        List<Dimension> out = readDimensions(e, ctx, MAX_DIMENSIONS);
        if (ctx.diagnostics().errorCount() > errors || name == null || value == null) {
            return null;
        }
        return new EmitMetric(namespace, name, value, out, ctx.environment().metricSink());
    }

    /**
     * The {@code <dimension name [value]/>} children of {@code e} (one to {@code max}), checked:
     * a value may be left out only for a default dimension, and no two may map to the same
     * Prometheus label. Errors go to {@code ctx}; the caller checks its error count.
     */
    static List<Dimension> readDimensions(XmlElement e, CompileContext ctx, int max) {
        List<XmlElement> dims = e.elements().stream().filter(c -> c.name().equals("dimension")).toList();
        if (dims.isEmpty()) {
            ctx.error(e.position(), "<" + e.name() + "> needs at least one <dimension name=\"...\"/> (for example <dimension name=\"API ID\"/>)");
        } else if (dims.size() > max) {
            ctx.error(dims.get(max).position(), "<" + e.name() + "> has " + dims.size() + " dimensions (at most " + max + ")");
        }
        Map<String, String> labels = new HashMap<>();
        java.util.ArrayList<Dimension> out = new java.util.ArrayList<>();
        for (XmlElement d : dims) {
            ctx.noContent(d);
            Attributes da = ctx.attributes(d, "name", "value");
            Value<String> dn = da.requiredString("name");
            Value<String> dv = da.string("value");
            if (dn == null || (da.has("value") && dv == null)) {
                continue;
            }
            Function<Exchange, String> byDefault = null;
            if (dn.isConstant()) {
                String n = dn.constant() == null ? "" : dn.constant().strip();
                byDefault = DEFAULTS.get(n.toLowerCase(Locale.ROOT));
                if (dv == null && byDefault == null) {
                    ctx.error(d.position(), "<dimension name=\"" + n + "\"> needs a value: only the default dimensions (API ID, Operation ID, "
                            + "Product ID, User ID, Subscription ID, Location, Gateway ID, Backend ID) may leave it out");
                    continue;
                }
                String label = MetricSink.prometheusLabel(n);
                String earlier = labels.putIfAbsent(label, n);
                if (earlier != null) {
                    ctx.error(da.position("name"), "<" + e.name() + "> has dimension '" + n + "' twice"
                            + (earlier.equals(n) ? "" : " (as '" + earlier + "': both are label '" + label + "')"));
                    continue;
                }
                dn = Value.constant(n);
            } else if (dv == null) {
                ctx.error(d.position(), "<dimension> whose name is a policy expression needs a value");
                continue;
            }
            out.add(new Dimension(dn, dv, byDefault));
        }
        return out;
    }

    /** The dimensions' names and values for one request, in order; a missing value is "". */
    static Map<String, String> dimensionValues(Exchange exchange, List<Dimension> dimensions) {
        Map<String, String> dims = new LinkedHashMap<>();
        for (Dimension d : dimensions) {
            String n = d.name().get(exchange);
            String val = d.value() != null ? d.value().get(exchange) : d.byDefault().apply(exchange);
            dims.put(n == null ? "" : n, val == null ? "" : val);
        }
        return java.util.Collections.unmodifiableMap(dims);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Object v = value.get(exchange);
        double number;
        if (v instanceof Number n) {
            number = n.doubleValue();
        } else if (v instanceof String s) {
            try {
                number = Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                throw notANumber(v);
            }
        } else {
            throw notANumber(v);
        }
        Map<String, String> dims = dimensionValues(exchange, dimensions);
        try {
            MetricSink target = exchange.metricSink() != null ? exchange.metricSink() : sink;
            target.emit(namespace, name, number, dims);
        } catch (RuntimeException e) {
            // a broken metrics sink must not fail the request it measures
            exchange.trace(new TraceEntry("emit-metric", "error", "metric sink failed: " + e, Map.of()));
        }
        return DONE;
    }

    private static GatewayException notANumber(Object v) {
        return new GatewayException(500, "emit-metric", GatewayException.EXPRESSION_FAILURE,
                "emit-metric: value evaluated to " + (v == null ? "null" : v.getClass().getSimpleName() + " '" + v + "'") + " (expected: a number)");
    }
}
