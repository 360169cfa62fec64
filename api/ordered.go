package api

import (
	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// OrderedTag asks for mqtrigger's ordered mode (ScalingConfig.MaximumConcurrency 1:
// one batch at a time, in queue order) through a mapping tag. The AWS CLI, boto3 and
// the AWS provider for Terraform refuse a MaximumConcurrency below 2 before sending
// (their model's minimum, from SQS), while every client sends tags: at
// CreateEventSourceMapping (Tags) and with TagResource. GetEventSourceMapping then
// shows the concurrency that runs, ScalingConfig.MaximumConcurrency 1.
const OrderedTag = "mqtrigger:ordered"

// checkOrderedValue refuses an OrderedTag value other than "true" or "false".
func checkOrderedValue(tags map[string]string) *awserr.Error {
	if v, ok := tags[OrderedTag]; ok && v != "true" && v != "false" {
		return awserr.InvalidParameter("Invalid tag %s=%q: it takes true (process the queue in order, one batch at a time: MaximumConcurrency 1) or false.", OrderedTag, v)
	}
	return nil
}

// ordered tells whether tags ask for the ordered mode.
func ordered(tags map[string]string) bool { return tags[OrderedTag] == "true" }

// applyOrdered makes c run in order when tags ask for it. explicit is the
// MaximumConcurrency the same request gave, or nil: one other than 1 contradicts
// the tag and is refused rather than silently overridden.
func applyOrdered(c *esm.Config, tags map[string]string, explicit *int) *awserr.Error {
	if !ordered(tags) {
		return nil
	}
	if explicit != nil && *explicit != 1 {
		return awserr.InvalidParameter("ScalingConfig.MaximumConcurrency %d contradicts the tag %s=true, which runs the mapping with MaximumConcurrency 1; remove the tag (UntagResource) to run batches concurrently.", *explicit, OrderedTag)
	}
	c.ScalingConfig = &esm.ScalingConfig{MaximumConcurrency: 1}
	return nil
}

// retagOrdered applies a tag change to c: the tag turned on sets concurrency 1; turned
// off (false or removed) it gives back the default concurrency, if the mapping still
// runs with the 1 the tag set. It reports whether c changed.
func retagOrdered(c *esm.Config, before, after map[string]string) bool {
	was, now := ordered(before), ordered(after)
	switch {
	case now && c.MaximumConcurrency() != 1:
		c.ScalingConfig = &esm.ScalingConfig{MaximumConcurrency: 1}
		return true
	case was && !now && c.MaximumConcurrency() == 1:
		c.ScalingConfig = nil
		return true
	}
	return false
}
