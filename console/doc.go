// Package console is mqtrigger's web console, served under /console/ on the API's
// listener: sign in, see functions and their MQ triggers, add, edit, enable,
// disable and delete triggers, watch their figures, look into and redrive the
// dead-letter queue, and manage secrets and brokers.
//
// It has no rules of its own: every read and change is a request to the API
// handler, made in process and signed with SigV4 like any other client's, so a
// refused value shows the API's own message. What the console adds is the
// browser's side of it: sessions (an HttpOnly, SameSite=Strict cookie that
// expires), a CSRF token checked on every change, sign-ins refused with a rate
// limit, and the pages, which are plain HTML, CSS and JavaScript built into the
// binary (assets/).
package console
