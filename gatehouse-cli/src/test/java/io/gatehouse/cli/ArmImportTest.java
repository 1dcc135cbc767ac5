package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse import arm} over {@code src/test/resources/arm/contoso-template.json}, written
 * for the tests in the shape of the portal's "Export template" for an API Management service
 * (flat {@code Microsoft.ApiManagement/service/*} resources named with
 * {@code [concat(parameters('service'), '/...')]}, references as {@code resourceId(...)}).
 */
class ArmImportTest {
    @TempDir
    Path tmp;

    private Path template() throws Exception {
        Path t = tmp.resolve("template.json");
        Files.copy(Path.of(ArmImportTest.class.getResource("/arm/contoso-template.json").toURI()), t);
        return t;
    }

    @Test
    void writesTheServicesResourcesAsApiopsDoesWithOperationsFromTheTemplate() throws Exception {
        Path out = tmp.resolve("out/gatehouse.yaml");
        ApiopsImportTest.Run r = ApiopsImportTest.run("import", "arm", template().toString(), "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode c = ApiopsImportTest.YAML.readTree(out.toFile());
        Path dir = out.getParent();

        assertThat(Files.readString(dir.resolve(c.at("/policies/global").asText()))).contains("{{environment-name}}");
        assertThat(ApiopsImportTest.byId(c.get("namedValues"), "name", "environment-name").get("value").asText()).isEqualTo("production");
        assertThat(ApiopsImportTest.byId(c.get("namedValues"), "name", "backend-api-key").get("value").asText())
                .isEqualTo("${env:APIM_NAMED_VALUE_BACKEND_API_KEY}");
        assertThat(ApiopsImportTest.byId(c.get("backends"), "id", "orders-backend").get("url").asText()).isEqualTo("http://orders.contoso.internal");

        JsonNode orders = ApiopsImportTest.byId(c.get("apis"), "id", "orders");
        assertThat(orders.get("serviceUrl").asText()).as("[parameters('orders_service_url')] with its default")
                .isEqualTo("http://orders.contoso.internal");
        assertThat(orders.has("openApi")).isFalse();
        JsonNode get = ApiopsImportTest.byId(orders.get("operations"), "id", "get-order");
        assertThat(get.get("method").asText()).isEqualTo("GET");
        assertThat(get.get("urlTemplate").asText()).isEqualTo("/{orderId}");
        assertThat(Files.readString(dir.resolve(get.get("policy").asText()))).contains("context.Operation.Id");
        JsonNode list = ApiopsImportTest.byId(orders.get("operations"), "id", "list-orders");
        assertThat(list.get("urlTemplate").asText()).isEqualTo("/");
        assertThat(list.has("policy")).isFalse();

        JsonNode product = ApiopsImportTest.byId(c.get("products"), "id", "partners");
        assertThat(product.at("/apis/0").asText()).isEqualTo("orders");
        JsonNode sub = ApiopsImportTest.byId(c.get("subscriptions"), "id", "acme");
        assertThat(sub.get("scope").asText()).isEqualTo("/products/partners");
        assertThat(sub.at("/owner/id").asText()).isEqualTo("acme-admin");

        assertThat(r.err()).contains("  - the service resource (SKU, custom hostnames")
                .contains("operation 'list-orders' of API 'orders': the query part of its URL template (?status={status}) is not matched")
                .contains("loggers 'appinsights': loggers")
                .doesNotContain("gatehouse-arm-"); // resources are named, not the temporary folder
        assertThat(Files.readString(out)).startsWith("# Gatehouse config imported from the ARM template " + tmp.resolve("template.json"));
    }

    @Test
    void aMalformedTemplateNamesTheFileLineAndColumn() throws Exception {
        Path t = template();
        String text = Files.readString(t);
        Files.writeString(t, text.replaceFirst("\"contentVersion\": \"1.0.0.0\",", "\"contentVersion\": \"1.0.0.0\""));
        ApiopsImportTest.Run r = ApiopsImportTest.run("import", "arm", t.toString(), "-o", tmp.resolve("x.yaml").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("gatehouse import: " + t + ":4:").contains("not valid JSON");

        Files.writeString(t, "{\"resources\": [{\"type\": \"Microsoft.Web/sites\", \"name\": \"app\"}]}");
        r = ApiopsImportTest.run("import", "arm", t.toString(), "-o", tmp.resolve("x.yaml").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no Microsoft.ApiManagement/service/* resources");
    }

    @Test
    void referencesAndNamesAreReadFromTheTemplatesExpressions() {
        assertThat(ArmTemplateImporter.segments("[concat(parameters('svc'), '/orders/get-order')]")).containsExactly("orders", "get-order");
        assertThat(ArmTemplateImporter.segments("contoso/orders")).containsExactly("contoso", "orders");
        assertThat(ArmTemplateImporter.reference("[resourceId('Microsoft.ApiManagement/service/apis', parameters('s'), 'echo')]"))
                .isEqualTo("/apis/echo");
        assertThat(ArmTemplateImporter.reference("[resourceId('Microsoft.ApiManagement/service', parameters('s'))]")).isEqualTo("/apis");
        assertThat(ArmTemplateImporter.reference("/products/starter")).isEqualTo("/products/starter");
    }
}
