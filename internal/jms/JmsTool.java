// JmsTool drives ActiveMQ's own JMS client for mqtrigger's Go tests and benchmarks.
//
// Usage: java -cp <jars>:JmsTool.jar JmsTool send|receive|connect|produce|bench|browse|purge|warm
//
// The options arrive as one JSON object on stdin (so passwords never appear in a
// process list); results leave as JSON lines on stdout. On failure the tool writes the
// exception chain to stderr and exits with status 1.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageEOFException;
import javax.jms.MessageProducer;
import javax.jms.ObjectMessage;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.StreamMessage;
import javax.jms.TextMessage;
import javax.jms.Topic;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQMapMessage;
import org.apache.activemq.command.ActiveMQMessage;
import org.fusesource.hawtbuf.UTF8Buffer;

public class JmsTool {
    static final ObjectMapper JSON = new ObjectMapper();
    static PrintStream out;

    public static void main(String[] args) {
        out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        int code = 0;
        try {
            if (args.length != 1) {
                throw new IllegalArgumentException("usage: JmsTool send|receive|connect|produce|bench|browse|purge (options as JSON on stdin)");
            }
            InputStream in = System.in;
            JsonNode opts = JSON.readTree(in.readAllBytes());
            if (opts == null || !opts.isObject()) {
                opts = JSON.createObjectNode();
            }
            switch (args[0]) {
                case "send": send(opts); break;
                case "receive": receive(opts); break;
                case "connect": connect(opts); break;
                case "produce": produce(opts); break;
                case "bench": bench(opts); break;
                case "browse": browse(opts); break;
                case "purge": purge(opts); break;
                case "warm": warm(); break;
                default: throw new IllegalArgumentException("unknown subcommand " + args[0]);
            }
        } catch (Throwable e) {
            code = 1;
            StringBuilder sb = new StringBuilder();
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c != e) sb.append("\n  caused by: ");
                sb.append(c.getClass().getName());
                if (c.getMessage() != null) sb.append(": ").append(c.getMessage());
                if (c.getCause() == c) break;
            }
            if (System.getenv("MQTRIGGER_JMS_TRACE") != null) {
                e.printStackTrace();
            }
            System.err.println(sb);
        }
        out.flush();
        System.err.flush();
        // ActiveMQ may leave non-daemon threads behind after a failed connect.
        Runtime.getRuntime().halt(code);
    }

    static String str(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    static long num(JsonNode n, String field, long def) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? def : v.asLong();
    }

    static boolean bool(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.asBoolean();
    }

    static ActiveMQConnection open(JsonNode o) throws JMSException {
        String url = str(o, "url");
        if (url.isEmpty()) throw new IllegalArgumentException("no broker URL given");
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        if (bool(o, "compress")) f.setUseCompression(true);
        f.setTrustAllPackages(true);
        f.setUserName(str(o, "user").isEmpty() ? null : str(o, "user"));
        f.setPassword(str(o, "password").isEmpty() ? null : str(o, "password"));
        long prefetch = num(o, "prefetch", 0);
        if (prefetch > 0) f.getPrefetchPolicy().setAll((int) prefetch);
        if (bool(o, "asyncSend")) {
            f.setUseAsyncSend(true);
            f.setProducerWindowSize(1 << 20);
        }
        ActiveMQConnection c = (ActiveMQConnection) f.createConnection();
        c.start();
        return c;
    }

    // Conn makes a JMS 1.1 connection usable in try-with-resources.
    static final class Conn implements AutoCloseable {
        final ActiveMQConnection c;

        Conn(ActiveMQConnection c) { this.c = c; }

        @Override
        public void close() throws JMSException { c.close(); }
    }

    // warm loads the classes the other subcommands use, without a broker, so that a
    // run with -XX:ArchiveClassesAtExit records them in a class-data-sharing archive.
    static void warm() throws Exception {
        JsonNode in = JSON.readTree("{\"messages\":[{\"kind\":\"text\",\"text\":\"x\",\"bytes\":\"eA==\",\"priority\":4,"
            + "\"properties\":[{\"name\":\"a\",\"type\":\"int\",\"value\":\"1\"}]}]}");
        org.apache.activemq.openwire.OpenWireFormat wf = new org.apache.activemq.openwire.OpenWireFormat();
        ActiveMQMessage[] msgs = {
            new org.apache.activemq.command.ActiveMQTextMessage(), new org.apache.activemq.command.ActiveMQBytesMessage(),
            new ActiveMQMapMessage(), new org.apache.activemq.command.ActiveMQObjectMessage(),
            new org.apache.activemq.command.ActiveMQStreamMessage(),
        };
        ((TextMessage) msgs[0]).setText("x");
        ((BytesMessage) msgs[1]).writeBytes(bytes(in.get("messages").get(0)));
        ((MapMessage) msgs[2]).setString("k", "v");
        ((ObjectMessage) msgs[3]).setObject(new HashMap<String, Object>());
        ((StreamMessage) msgs[4]).writeString("x");
        for (ActiveMQMessage m : msgs) {
            setProperty(m, "a", "string", "v");
            m.setJMSDestination(new org.apache.activemq.command.ActiveMQQueue("q"));
            m.setJMSMessageID("ID:warm-1:1:1:1:1");
            m.onSend();
            ActiveMQMessage copy = (ActiveMQMessage) wf.unmarshal(wf.marshal(m));
            copy.setReadOnlyBody(true);
            copy.setReadOnlyProperties(true);
            if (copy instanceof org.apache.activemq.command.ActiveMQObjectMessage) {
                ((org.apache.activemq.command.ActiveMQObjectMessage) copy).setTrustAllPackages(true);
            }
            JSON.writeValueAsString(describe(copy));
        }
        try {
            ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:1");
            f.createConnection().start();
        } catch (JMSException expected) {
            // no broker: only the classes matter
        }
        out.println("{}");
    }

    static Destination dest(Session s, String name, boolean topic) throws JMSException {
        if (name.startsWith("queue://")) return s.createQueue(name.substring(8));
        if (name.startsWith("topic://")) return s.createTopic(name.substring(8));
        return topic ? s.createTopic(name) : s.createQueue(name);
    }

    static String destName(Destination d) throws JMSException {
        if (d == null) return "";
        if (d instanceof Queue) return "queue://" + ((Queue) d).getQueueName();
        if (d instanceof Topic) return "topic://" + ((Topic) d).getTopicName();
        return d.toString();
    }

    static Queue queue(Session s, JsonNode o) throws JMSException {
        String q = str(o, "queue");
        if (q.isEmpty()) throw new IllegalArgumentException("no queue given");
        return s.createQueue(q);
    }

    // ---- send ----

    static void send(JsonNode o) throws Exception {
        String q = str(o, "queue"), t = str(o, "topic");
        try (Conn cc = new Conn(open(o))) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Destination def = null;
            if (!q.isEmpty()) def = s.createQueue(q);
            else if (!t.isEmpty()) def = s.createTopic(t);
            MessageProducer p = s.createProducer(null);
            JsonNode msgs = o.get("messages");
            if (msgs == null) return;
            for (JsonNode m : msgs) {
                Message jm = build(s, m);
                Destination d = def;
                String override = str(m, "destination");
                if (!override.isEmpty()) d = dest(s, override, false);
                if (d == null) throw new IllegalArgumentException("no queue, topic or message destination given");
                int mode = bool(m, "persistent") ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT;
                int prio = (int) num(m, "priority", 0);
                if (prio == 0) prio = Message.DEFAULT_PRIORITY;
                p.send(d, jm, mode, prio, num(m, "timeToLive", 0));
                ObjectNode r = JSON.createObjectNode();
                r.put("messageId", jm.getJMSMessageID());
                out.println(JSON.writeValueAsString(r));
            }
        }
    }

    static Message build(Session s, JsonNode m) throws Exception {
        String kind = str(m, "kind");
        Message jm;
        switch (kind) {
            case "":
            case "text":
                jm = s.createTextMessage(str(m, "text"));
                break;
            case "bytes": {
                BytesMessage b = s.createBytesMessage();
                byte[] data = bytes(m);
                // Written in pieces, the client's buffer grows by doubling, as it does
                // for applications that write field by field.
                int chunk = (int) num(m, "chunk", 0);
                if (chunk <= 0) {
                    b.writeBytes(data);
                } else {
                    int off = 0;
                    do { // an empty body still gets one (empty) write
                        b.writeBytes(data, off, Math.min(chunk, data.length - off));
                        off += chunk;
                    } while (off < data.length);
                }
                jm = b;
                break;
            }
            case "map": {
                MapMessage mm = s.createMapMessage();
                JsonNode map = m.get("map");
                if (map != null && map.isObject()) {
                    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        setMapEntry(mm, e.getKey(), e.getValue());
                    }
                }
                jm = mm;
                break;
            }
            case "object": {
                JsonNode map = m.get("map");
                Serializable obj;
                if (map != null && map.isObject()) {
                    HashMap<String, Object> h = new HashMap<>();
                    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        h.put(e.getKey(), plain(e.getValue()));
                    }
                    obj = h;
                } else {
                    obj = str(m, "text");
                }
                jm = s.createObjectMessage(obj);
                break;
            }
            case "stream": {
                StreamMessage sm = s.createStreamMessage();
                JsonNode items = m.get("items");
                if (items != null && items.isArray()) {
                    for (JsonNode it : items) sm.writeObject(plain(it));
                } else if (m.hasNonNull("bytes")) {
                    sm.writeBytes(bytes(m));
                } else {
                    sm.writeString(str(m, "text"));
                }
                jm = sm;
                break;
            }
            default:
                throw new IllegalArgumentException("unknown message kind " + kind + " (want text, bytes, map, object or stream)");
        }
        if (!str(m, "correlationId").isEmpty()) jm.setJMSCorrelationID(str(m, "correlationId"));
        if (!str(m, "type").isEmpty()) jm.setJMSType(str(m, "type"));
        if (!str(m, "replyTo").isEmpty()) jm.setJMSReplyTo(dest(s, str(m, "replyTo"), false));
        JsonNode props = m.get("properties");
        if (props != null && props.isArray()) {
            for (JsonNode p : props) setProperty(jm, str(p, "name"), str(p, "type"), str(p, "value"));
        }
        return jm;
    }

    static byte[] bytes(JsonNode m) {
        String b = str(m, "bytes");
        return b.isEmpty() ? new byte[0] : Base64.getDecoder().decode(b);
    }

    static void setProperty(Message m, String name, String type, String v) throws JMSException {
        switch (type) {
            case "boolean": m.setBooleanProperty(name, Boolean.parseBoolean(v)); break;
            case "byte": m.setByteProperty(name, Byte.parseByte(v)); break;
            case "short": m.setShortProperty(name, Short.parseShort(v)); break;
            case "int": m.setIntProperty(name, Integer.parseInt(v)); break;
            case "long": m.setLongProperty(name, Long.parseLong(v)); break;
            case "float": m.setFloatProperty(name, Float.parseFloat(v)); break;
            case "double": m.setDoubleProperty(name, Double.parseDouble(v)); break;
            case "":
            case "string": m.setStringProperty(name, v); break;
            default: throw new IllegalArgumentException("property " + name + ": unknown type " + type);
        }
    }

    static String propType(Object v) {
        if (v instanceof Boolean) return "boolean";
        if (v instanceof Byte) return "byte";
        if (v instanceof Short) return "short";
        if (v instanceof Integer) return "int";
        if (v instanceof Long) return "long";
        if (v instanceof Float) return "float";
        if (v instanceof Double) return "double";
        return "string";
    }

    // A map entry is a JSON scalar, or {"type": "short", "value": "3"} for an exact type.
    static void setMapEntry(MapMessage mm, String k, JsonNode v) throws JMSException {
        if (v.isObject() && v.has("type")) {
            String type = str(v, "type"), s = str(v, "value");
            switch (type) {
                case "boolean": mm.setBoolean(k, Boolean.parseBoolean(s)); break;
                case "byte": mm.setByte(k, Byte.parseByte(s)); break;
                case "short": mm.setShort(k, Short.parseShort(s)); break;
                case "int": mm.setInt(k, Integer.parseInt(s)); break;
                case "long": mm.setLong(k, Long.parseLong(s)); break;
                case "float": mm.setFloat(k, Float.parseFloat(s)); break;
                case "double": mm.setDouble(k, Double.parseDouble(s)); break;
                case "string": mm.setString(k, s); break;
                case "bytes": mm.setBytes(k, Base64.getDecoder().decode(s)); break;
                default: throw new IllegalArgumentException("map entry " + k + ": unknown type " + type);
            }
            return;
        }
        if (v.isBoolean()) mm.setBoolean(k, v.asBoolean());
        else if (v.isIntegralNumber() && v.canConvertToInt()) mm.setInt(k, v.asInt());
        else if (v.isIntegralNumber()) mm.setLong(k, v.asLong());
        else if (v.isNumber()) mm.setDouble(k, v.asDouble());
        else if (v.isNull()) mm.setObject(k, null);
        else mm.setString(k, v.isTextual() ? v.asText() : v.toString());
    }

    static Object plain(JsonNode v) {
        if (v == null || v.isNull()) return null;
        if (v.isBoolean()) return v.asBoolean();
        if (v.isIntegralNumber() && v.canConvertToInt()) return v.asInt();
        if (v.isIntegralNumber()) return v.asLong();
        if (v.isNumber()) return v.asDouble();
        if (v.isTextual()) return v.asText();
        return v.toString();
    }

    // ---- receive ----

    static void receive(JsonNode o) throws Exception {
        long count = num(o, "count", 0);
        long timeout = Math.max(1, num(o, "timeoutMillis", 5000));
        boolean clientAck = bool(o, "clientAck"), rollback = bool(o, "rollback");
        try (Conn cc = new Conn(open(o))) {
            Connection c = cc.c;
            Session s = rollback ? c.createSession(true, Session.SESSION_TRANSACTED)
                : c.createSession(false, clientAck ? Session.CLIENT_ACKNOWLEDGE : Session.AUTO_ACKNOWLEDGE);
            String sel = str(o, "selector");
            MessageConsumer mc = s.createConsumer(queue(s, o), sel.isEmpty() ? null : sel);
            for (long n = 0; count <= 0 || n < count; n++) {
                Message m = mc.receive(timeout);
                if (m == null) break;
                out.println(JSON.writeValueAsString(describe(m)));
                out.flush(); // what arrived survives the JVM being stopped
                if (clientAck) m.acknowledge();
            }
            if (rollback) s.rollback();
            mc.close();
        }
    }

    static ObjectNode describe(Message m) throws Exception {
        ObjectNode r = JSON.createObjectNode();
        if (m instanceof TextMessage) {
            r.put("kind", "text");
            String t = ((TextMessage) m).getText();
            if (t != null) r.put("text", t);
        } else if (m instanceof BytesMessage) {
            r.put("kind", "bytes");
            BytesMessage b = (BytesMessage) m;
            byte[] body = new byte[(int) b.getBodyLength()];
            b.readBytes(body);
            r.put("bytes", Base64.getEncoder().encodeToString(body));
        } else if (m instanceof MapMessage) {
            r.put("kind", "map");
            MapMessage mm = (MapMessage) m;
            ObjectNode map = r.putObject("map");
            Map<String, Object> content = mm instanceof ActiveMQMapMessage ? ((ActiveMQMapMessage) mm).getContentMap() : null;
            for (Enumeration<?> e = mm.getMapNames(); e.hasMoreElements(); ) {
                String k = (String) e.nextElement();
                putPlain(map, k, exact(content != null ? content.get(k) : mm.getObject(k)));
            }
        } else if (m instanceof ObjectMessage) {
            r.put("kind", "object");
            Object obj = ((ObjectMessage) m).getObject();
            if (obj instanceof Map) {
                ObjectNode map = r.putObject("map");
                for (Map.Entry<?, ?> e : ((Map<?, ?>) obj).entrySet()) putPlain(map, String.valueOf(e.getKey()), e.getValue());
            } else if (obj != null) {
                r.put("text", obj.toString());
            }
        } else if (m instanceof StreamMessage) {
            r.put("kind", "stream");
            StreamMessage sm = (StreamMessage) m;
            ArrayNode items = r.putArray("items");
            try {
                while (true) {
                    Object v = sm.readObject();
                    ObjectNode holder = JSON.createObjectNode();
                    putPlain(holder, "v", v);
                    items.add(holder.get("v"));
                }
            } catch (MessageEOFException eof) {
                // end of the stream body
            }
        } else {
            r.put("kind", "");
        }
        r.put("messageId", m.getJMSMessageID());
        if (m.getJMSCorrelationID() != null) r.put("correlationId", m.getJMSCorrelationID());
        if (m.getJMSReplyTo() != null) r.put("replyTo", destName(m.getJMSReplyTo()));
        if (m.getJMSType() != null) r.put("type", m.getJMSType());
        r.put("expiration", m.getJMSExpiration());
        r.put("priority", m.getJMSPriority());
        r.put("persistent", m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT);
        r.put("timestamp", m.getJMSTimestamp());
        r.put("redelivered", m.getJMSRedelivered());
        if (m.propertyExists("JMSXDeliveryCount")) r.put("deliveryCount", m.getIntProperty("JMSXDeliveryCount"));
        r.put("destination", destName(m.getJMSDestination()));
        ArrayNode props = r.putArray("properties");
        List<String> names = new ArrayList<>();
        for (Enumeration<?> e = m.getPropertyNames(); e.hasMoreElements(); ) names.add((String) e.nextElement());
        java.util.Collections.sort(names);
        Map<String, Object> raw = m instanceof ActiveMQMessage ? ((ActiveMQMessage) m).getProperties() : null;
        for (String name : names) {
            Object v = raw != null && raw.get(name) instanceof UTF8Buffer ? raw.get(name) : m.getObjectProperty(name);
            v = exact(v);
            if (v == null) continue;
            ObjectNode p = props.addObject();
            p.put("name", name);
            p.put("type", propType(v));
            p.put("value", String.valueOf(v));
        }
        return r;
    }

    // exact decodes a string the way OpenWire encoded it. OpenWire writes string
    // properties and map entries in Java's modified UTF-8 (a character outside the
    // BMP becomes two 3-byte surrogates), but the client's UTF8Buffer.toString
    // decodes them as standard UTF-8 and turns such characters into U+FFFD.
    static Object exact(Object v) {
        if (!(v instanceof UTF8Buffer)) return v;
        UTF8Buffer b = (UTF8Buffer) v;
        byte[] d = b.getData();
        int i = b.getOffset(), end = b.getOffset() + b.getLength();
        StringBuilder sb = new StringBuilder(b.getLength());
        while (i < end) {
            int c = d[i] & 0xff;
            if (c < 0x80) {
                sb.append((char) c);
                i++;
            } else if ((c & 0xe0) == 0xc0 && i + 1 < end) {
                sb.append((char) (((c & 0x1f) << 6) | (d[i + 1] & 0x3f)));
                i += 2;
            } else if ((c & 0xf0) == 0xe0 && i + 2 < end) {
                sb.append((char) (((c & 0x0f) << 12) | ((d[i + 1] & 0x3f) << 6) | (d[i + 2] & 0x3f)));
                i += 3;
            } else if ((c & 0xf8) == 0xf0 && i + 3 < end) {
                sb.appendCodePoint(((c & 0x07) << 18) | ((d[i + 1] & 0x3f) << 12) | ((d[i + 2] & 0x3f) << 6) | (d[i + 3] & 0x3f));
                i += 4;
            } else {
                sb.append('\ufffd');
                i++;
            }
        }
        return sb.toString();
    }

    static void putPlain(ObjectNode n, String k, Object v) {
        if (v == null) n.putNull(k);
        else if (v instanceof Boolean) n.put(k, (Boolean) v);
        else if (v instanceof Byte || v instanceof Short || v instanceof Integer) n.put(k, ((Number) v).intValue());
        else if (v instanceof Long) n.put(k, (Long) v);
        else if (v instanceof Float) n.put(k, (Float) v);
        else if (v instanceof Double) n.put(k, (Double) v);
        else if (v instanceof byte[]) n.put(k, Base64.getEncoder().encodeToString((byte[]) v));
        else if (v instanceof Character) n.put(k, v.toString());
        else n.put(k, v.toString());
    }

    // ---- connect ----

    static void connect(JsonNode o) throws Exception {
        try (Conn cc = new Conn(open(o))) {
            Connection c = cc.c;
            out.println("{\"ok\":true}");
        }
    }

    // ---- produce ----

    static void produce(JsonNode o) throws Exception {
        long count = num(o, "count", 0);
        int size = (int) num(o, "size", 0);
        boolean persistent = bool(o, "persistent");
        ObjectNode opts = ((ObjectNode) o).deepCopy();
        if (!persistent) opts.put("asyncSend", true);
        try (Conn cc = new Conn(open(opts))) {
            Connection c = cc.c;
            // Persistent messages go in transactions of 500 so that the store syncs
            // once per batch rather than once per message.
            Session s = c.createSession(persistent, persistent ? Session.SESSION_TRANSACTED : Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(queue(s, o));
            p.setDeliveryMode(persistent ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
            byte[] body = new byte[size];
            for (int i = 0; i < size; i++) body[i] = (byte) ('a' + i % 26);
            String text = new String(body, StandardCharsets.US_ASCII);
            for (long i = 0; i < count; i++) {
                Message m;
                if (bool(o, "text")) {
                    m = s.createTextMessage(text);
                } else {
                    BytesMessage b = s.createBytesMessage();
                    b.writeBytes(body);
                    m = b;
                }
                m.setLongProperty("seq", i);
                p.send(m);
                if (persistent && (i + 1) % 500 == 0) s.commit();
            }
            if (persistent) s.commit();
            out.println("{\"sent\":" + count + "}");
        }
    }

    // ---- bench ----

    static void bench(JsonNode o) throws Exception {
        long count = num(o, "count", 0);
        if (count <= 0) throw new IllegalArgumentException("bench needs a positive count");
        ObjectNode opts = ((ObjectNode) o).deepCopy();
        if (num(o, "prefetch", 0) <= 0) opts.put("prefetch", 1000);
        long ackEvery = num(o, "ackEvery", 0);
        if (ackEvery <= 0) ackEvery = 100;
        long timeout = Math.max(1, num(o, "timeoutMillis", 30000));
        boolean tx = bool(o, "transacted");
        try (Conn cc = new Conn(open(opts))) {
            Connection c = cc.c;
            Session s = c.createSession(tx, tx ? Session.SESSION_TRANSACTED : Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(queue(s, o));
            long start = 0, n = 0;
            Message last = null;
            while (n < count) {
                Message m = mc.receive(timeout);
                if (m == null) {
                    throw new IllegalStateException("bench: got " + n + " of " + count + " messages; none arrived for " + timeout + " ms");
                }
                if (n == 0) start = System.nanoTime();
                n++;
                last = m;
                if (n % ackEvery == 0) {
                    if (tx) s.commit(); else m.acknowledge();
                    last = null;
                }
            }
            if (last != null) {
                if (tx) s.commit(); else last.acknowledge();
            }
            double secs = (System.nanoTime() - start) / 1e9;
            mc.close();
            ObjectNode r = JSON.createObjectNode();
            r.put("messages", n);
            r.put("seconds", secs);
            r.put("perSecond", secs > 0 ? n / secs : 0);
            out.println(JSON.writeValueAsString(r));
        }
    }

    // ---- browse / purge ----

    static void browse(JsonNode o) throws Exception {
        try (Conn cc = new Conn(open(o))) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            QueueBrowser b = s.createBrowser(queue(s, o));
            long n = 0;
            for (Enumeration<?> e = b.getEnumeration(); e.hasMoreElements(); e.nextElement()) n++;
            b.close();
            out.println("{\"count\":" + n + "}");
        }
    }

    static void purge(JsonNode o) throws Exception {
        long timeout = Math.max(1, num(o, "timeoutMillis", 500));
        ObjectNode opts = ((ObjectNode) o).deepCopy();
        opts.put("prefetch", 1000);
        try (Conn cc = new Conn(open(opts))) {
            Connection c = cc.c;
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer mc = s.createConsumer(queue(s, o));
            long n = 0;
            while (mc.receive(timeout) != null) {
                if (++n % 500 == 0) s.commit();
            }
            s.commit();
            mc.close();
            out.println("{\"purged\":" + n + "}");
        }
    }
}
