// Interop: a JAX-WS RI client of segl's ArchiveService v3 WSDL with schema validation on (see
// JaxwsClient.java; test/interop/jaxws.test.ts replaces the placeholder package).
//
// Usage: java JaxwsArchiveClient WSDL_URL ENDPOINT SERVICE PASSWORD
// Prints one JSON object on stdout; any unexpected exception ends the program with exit code 1.
package PACKAGE;

import com.sun.xml.ws.developer.SchemaValidationFeature;
import java.net.URL;
import javax.xml.namespace.QName;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.soap.SOAPFaultException;

public final class JaxwsArchiveClient {
  public static void main(String[] args) throws Exception {
    String wsdl = args[0], endpoint = args[1], service = args[2], password = args[3];
    ArchiveService as = new ArchiveService(new URL(wsdl), new QName("https://id.signicat.com/definitions/wsdl/Archive-v3", "ArchiveService"));
    ArchiveEndPoint port = as.getArchiveServiceEndPointPort(new SchemaValidationFeature());
    ((BindingProvider) port).getRequestContext().put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, endpoint);

    // removeDocument is idempotent: an unknown id is accepted and not listed as removed.
    RemoveDocumentRequest remove = new RemoveDocumentRequest();
    remove.setVersion("3.0");
    remove.setService(service);
    remove.setPassword(password);
    remove.getArchiveId().add("no-such-archive-id");
    int removed = port.removeDocument(remove).getArchiveId().size();

    GetDocumentRequest get = new GetDocumentRequest();
    get.setVersion("3.0");
    get.setService(service);
    get.setPassword(password);
    get.setArchiveId("no-such-archive-id");
    String fault;
    try {
      port.getDocument(get);
      fault = "{\"raised\":false}";
    } catch (SOAPFaultException e) {
      String m = e.getFault().getFaultString().replace("\\", "\\\\").replace("\"", "\\\"");
      fault = "{\"raised\":true,\"code\":\"" + e.getFault().getFaultCodeAsQName().getLocalPart() + "\",\"message\":\"" + m + "\"}";
    }
    System.out.println("{\"removed\":" + removed + ",\"unknownDocument\":" + fault + "}");
  }
}
