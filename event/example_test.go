package event_test

import (
	"fmt"

	"github.com/mqtrigger/mqtrigger/event"
)

func ExampleAppendEvent() {
	records := []event.Record{{
		MessageID: "ID:broker-1:1:1:1:1", Kind: event.Text, Data: []byte("ABC:AAAA"),
		Timestamp: 1598827811958, Destination: "testQueue",
		BrokerInTime: 1598827811958, BrokerOutTime: 1598827811959,
		Properties: map[string]any{"index": int32(1), "doAlarm": false},
	}}
	buf := event.AppendEvent(nil, "arn:aws:mq:us-east-2:111122223333:broker:test:b-1", records)
	fmt.Println(string(buf))
	// Output:
	// {"eventSource":"aws:mq","eventSourceArn":"arn:aws:mq:us-east-2:111122223333:broker:test:b-1","messages":[{"messageID":"ID:broker-1:1:1:1:1","messageType":"jms/text-message","timestamp":1598827811958,"deliveryMode":1,"correlationID":"","replyTo":"null","destination":{"physicalName":"testQueue"},"redelivered":false,"type":"","expiration":0,"priority":0,"data":"QUJDOkFBQUE=","brokerInTime":1598827811958,"brokerOutTime":1598827811959,"properties":{"doAlarm":"false","index":"1"}}]}
}
