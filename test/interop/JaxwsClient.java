// Interop: a JAX-WS RI client (Debian's jaxws, classes from wsimport) with schema validation on.
// test/interop/jaxws.test.ts compiles this file once per generated package: the placeholder
// package below is replaced by the package wsimport generated into (-p), so the same flow runs
// against classes generated from segl's served WSDL and from Signicat's reference WSDL.
//
// Usage: java JaxwsClient WSDL_URL ENDPOINT SERVICE PASSWORD
// Prints one JSON object on stdout; any unexpected exception ends the program with exit code 1.
package PACKAGE;

import com.sun.xml.ws.developer.SchemaValidationFeature;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.namespace.QName;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.soap.SOAPFaultException;

public final class JaxwsClient {
  private static final String NS = "https://id.signicat.com/definitions/wsdl/Document-v3";

  private static String q(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  private static String list(List<String> items) {
    return "[" + String.join(",", items) + "]";
  }

  public static void main(String[] args) throws Exception {
    String wsdl = args[0], endpoint = args[1], service = args[2], password = args[3];
    DocumentService ds = new DocumentService(new URL(wsdl), new QName(NS, "DocumentService"));
    // Validates every outgoing request and every incoming response against the WSDL's schema.
    DocumentEndPoint port = ds.getDocumentServiceEndPointPort(new SchemaValidationFeature());
    ((BindingProvider) port).getRequestContext().put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, endpoint);
    String ref = "jaxws-" + System.nanoTime();

    ProvidedDocument doc = new ProvidedDocument();
    doc.setId("d1");
    doc.setMimeType("text/plain");
    doc.setDescription("JAX-WS document");
    doc.setData("signed through JAX-WS".getBytes(StandardCharsets.UTF_8));
    DocumentAction action = new DocumentAction();
    action.setType(DocumentActionType.SIGN);
    action.setDocumentRef("d1");
    Task task = new Task();
    task.setId("t1");
    task.getDocumentAction().add(action);
    Request request = new Request();
    request.setLanguage("en");
    request.getDocument().add(doc);
    request.getTask().add(task);
    request.setClientReference(ref);
    CreateRequestRequest create = new CreateRequestRequest();
    create.setService(service);
    create.setPassword(password);
    create.getRequest().add(request);
    CreateRequestResponse created = port.createRequest(create);
    String requestId = created.getRequestId().get(0);

    GetStatusRequest statusReq = new GetStatusRequest();
    statusReq.setService(service);
    statusReq.setPassword(password);
    statusReq.getRequestId().add(requestId);
    List<String> statuses = new ArrayList<>();
    for (TaskStatusInfo s : port.getStatus(statusReq).getTaskStatusInfo()) {
      List<String> docs = new ArrayList<>();
      for (DocumentStatus d : s.getDocumentStatus()) {
        docs.add("{\"id\":" + q(d.getId()) + ",\"original_uri\":" + q(d.getOriginalUri()) + "}");
      }
      statuses.add("{\"request_id\":" + q(s.getRequestId()) + ",\"task_id\":" + q(s.getTaskId())
          + ",\"task_status\":" + q(s.getTaskStatus().value()) + ",\"client_reference\":" + q(s.getClientReference())
          + ",\"document_status\":" + list(docs) + "}");
    }

    GetRequestHistoryRequest historyReq = new GetRequestHistoryRequest();
    historyReq.setService(service);
    historyReq.setPassword(password);
    historyReq.setRequestId(requestId);
    historyReq.setTaskId("t1"); // required by the reference schema, optional in segl's
    List<String> events = new ArrayList<>();
    for (Event e : port.getRequestHistory(historyReq).getEvent()) {
      events.add("{\"event\":" + q(e.getEvent().value()) + ",\"event_time\":" + q(e.getEventTime() == null ? null : e.getEventTime().toXMLFormat()) + "}");
    }

    // A schema-valid request that segl must refuse: an unknown request id.
    GetStatusRequest unknown = new GetStatusRequest();
    unknown.setService(service);
    unknown.setPassword(password);
    unknown.getRequestId().add("no-such-request");
    String fault;
    try {
      port.getStatus(unknown);
      fault = "{\"raised\":false}";
    } catch (SOAPFaultException e) {
      fault = "{\"raised\":true,\"code\":" + q(e.getFault().getFaultCodeAsQName().getLocalPart())
          + ",\"message\":" + q(e.getFault().getFaultString()) + "}";
    }

    DeleteRequestRequest del = new DeleteRequestRequest();
    del.setService(service);
    del.setPassword(password);
    del.getRequestId().add(requestId);
    int deleted = port.deleteRequest(del).getDeleted();

    System.out.println("{\"client_reference\":" + q(ref)
        + ",\"createRequest\":{\"request_ids\":" + list(created.getRequestId().stream().map(JaxwsClient::q).collect(java.util.stream.Collectors.toList()))
        + ",\"artifact\":" + q(created.getArtifact()) + "}"
        + ",\"getStatus\":" + list(statuses)
        + ",\"getRequestHistory\":" + list(events)
        + ",\"unknownRequest\":" + fault
        + ",\"deleteRequest\":" + deleted + "}");
  }
}
