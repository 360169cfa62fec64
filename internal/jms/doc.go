// Package jms lets Go tests and benchmarks drive ActiveMQ's own Java JMS client
// (Debian's libactivemq-java), so that mqtrigger is checked against the messages,
// properties and acknowledgements a real JMS application produces.
//
// The Java side is one file, JmsTool.java, compiled with javac on first use into
// os.TempDir()/mqtrigger-jms-<hash of source>. Every call starts one JVM, passes its
// options as JSON on stdin (so passwords never reach a process list) and reads JSON
// lines back:
//
//	tool := jms.New(t)
//	ids, err := tool.Send(ctx, jms.SendOptions{URL: b.URL, User: "admin", Password: "admin",
//		Queue: "orders", Messages: []jms.Message{{Kind: "text", Text: "hello"}}})
//	msgs, err := tool.Receive(ctx, jms.ReceiveOptions{URL: b.URL, User: "admin",
//		Password: "admin", Queue: "orders", Count: 1, Timeout: 5 * time.Second})
//
// It needs java and javac (17 or later) and the jars of libactivemq-java, jackson and
// slf4j in /usr/share/java; MQTRIGGER_JMS_CLASSPATH replaces that jar list.
package jms
