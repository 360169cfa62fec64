package function

// For the tests of package function_test.
var HandlerBinary = handlerBinary
