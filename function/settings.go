package function

import (
	"archive/zip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Extras are the members of CreateFunction and UpdateFunctionConfiguration beyond
// the basic ones. Each one takes effect, is kept and returned as given where it
// cannot matter on a self-hosted node (VpcConfig, TracingConfig, EphemeralStorage),
// or is refused with an *InvalidParameterError that names it: none is dropped.
type Extras struct {
	VpcConfig        *VpcConfig
	TracingConfig    *TracingConfig
	EphemeralStorage *EphemeralStorage
	LoggingConfig    *LoggingConfig
	// Refused when set: nothing here could make them take effect.
	Layers                 []string
	DeadLetterConfig       *struct{ TargetArn *string }
	KMSKeyArn              *string
	FileSystemConfigs      []json.RawMessage
	ImageConfig            json.RawMessage
	SnapStart              *struct{ ApplyOn string }
	CodeSigningConfigArn   *string
	CapacityProviderConfig json.RawMessage
	DurableConfig          json.RawMessage
	TenancyConfig          json.RawMessage
}

// VpcConfig is a function's VPC settings, kept as given.
type VpcConfig struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	Ipv6AllowedForDualStack *bool    `json:"Ipv6AllowedForDualStack,omitempty"`
}

// TracingConfig is a function's X-Ray mode, kept as given.
type TracingConfig struct{ Mode string }

// EphemeralStorage is the size of a function's /tmp in MB, kept as given.
type EphemeralStorage struct{ Size *int }

// LoggingConfig is how a function's log lines are written: LogFormat JSON gives
// Lambda's JSON lines, filtered by the two levels.
type LoggingConfig struct {
	LogFormat           string `json:"LogFormat,omitempty"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
}

var (
	applicationLogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	systemLogLevels      = []string{"DEBUG", "INFO", "WARN"}
)

// applyExtras checks x and sets it in c.
func (x *Extras) applyExtras(c *storedConfig) error {
	refused := func(member, why string) error {
		return invalidParameter(member, "%s is not supported: %s. Remove it from the request.", member, why)
	}
	switch {
	case len(x.Layers) > 0:
		return refused("Layers", "functions run from their own zip and there is no layer store")
	case x.DeadLetterConfig != nil && x.DeadLetterConfig.TargetArn != nil && *x.DeadLetterConfig.TargetArn != "":
		return refused("DeadLetterConfig", "asynchronous invocations that fail are logged, not sent to SQS or SNS (a mapping's failures go to its broker's dead-letter queue)")
	case x.KMSKeyArn != nil && *x.KMSKeyArn != "":
		return refused("KMSKeyArn", "environment variables are kept in the store, which KMS does not reach")
	case len(x.FileSystemConfigs) > 0:
		return refused("FileSystemConfigs", "there is no EFS to mount")
	case len(x.ImageConfig) > 0 && string(x.ImageConfig) != "null" && string(x.ImageConfig) != "{}":
		return refused("ImageConfig", "only zip packages run")
	case x.SnapStart != nil && x.SnapStart.ApplyOn != "" && x.SnapStart.ApplyOn != "None":
		return refused("SnapStart", "environments start from their bootstrap")
	case x.CodeSigningConfigArn != nil && *x.CodeSigningConfigArn != "":
		return refused("CodeSigningConfigArn", "code signing is not checked")
	case set(x.CapacityProviderConfig):
		return refused("CapacityProviderConfig", "functions run on this node")
	case set(x.DurableConfig):
		return refused("DurableConfig", "durable executions are not supported")
	case set(x.TenancyConfig):
		return refused("TenancyConfig", "tenant isolation is not supported")
	}
	if v := x.VpcConfig; v != nil {
		if len(v.SubnetIds) == 0 && len(v.SecurityGroupIds) == 0 && (v.Ipv6AllowedForDualStack == nil || !*v.Ipv6AllowedForDualStack) {
			c.VpcConfig = nil // how a VPC configuration is removed
		} else {
			vc := *v
			c.VpcConfig = &vc
		}
	}
	if t := x.TracingConfig; t != nil {
		if t.Mode != "Active" && t.Mode != "PassThrough" {
			return &ValidationError{Field: "tracingConfig.mode", Value: t.Mode, Constraint: "Member must satisfy enum value set: [Active, PassThrough]"}
		}
		c.TracingMode = t.Mode
	}
	if e := x.EphemeralStorage; e != nil && e.Size != nil {
		if *e.Size < 512 || *e.Size > 10240 {
			return &ValidationError{Field: "ephemeralStorage.size", Value: *e.Size, Constraint: "Member must have value between 512 and 10240"}
		}
		c.EphemeralStorage = *e.Size
	}
	if l := x.LoggingConfig; l != nil {
		cur := LoggingConfig{}
		if c.Logging != nil {
			cur = *c.Logging
		}
		if l.LogFormat != "" {
			if l.LogFormat != "JSON" && l.LogFormat != "Text" {
				return &ValidationError{Field: "loggingConfig.logFormat", Value: l.LogFormat, Constraint: "Member must satisfy enum value set: [JSON, Text]"}
			}
			cur.LogFormat = l.LogFormat
		}
		if l.ApplicationLogLevel != "" {
			if !slices.Contains(applicationLogLevels, l.ApplicationLogLevel) {
				return &ValidationError{Field: "loggingConfig.applicationLogLevel", Value: l.ApplicationLogLevel, Constraint: "Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]"}
			}
			cur.ApplicationLogLevel = l.ApplicationLogLevel
		}
		if l.SystemLogLevel != "" {
			if !slices.Contains(systemLogLevels, l.SystemLogLevel) {
				return &ValidationError{Field: "loggingConfig.systemLogLevel", Value: l.SystemLogLevel, Constraint: "Member must satisfy enum value set: [DEBUG, INFO, WARN]"}
			}
			cur.SystemLogLevel = l.SystemLogLevel
		}
		if l.LogGroup != "" {
			cur.LogGroup = l.LogGroup
		}
		if cur.LogFormat != "JSON" {
			if l.ApplicationLogLevel != "" || l.SystemLogLevel != "" {
				return invalidParameter("LoggingConfig", "To set ApplicationLogLevel or SystemLogLevel, LogFormat must be JSON.")
			}
			cur.ApplicationLogLevel, cur.SystemLogLevel = "", ""
		} else {
			// Lambda's defaults for JSON.
			cur.ApplicationLogLevel = cmpOr(cur.ApplicationLogLevel, "INFO")
			cur.SystemLogLevel = cmpOr(cur.SystemLogLevel, "INFO")
		}
		c.Logging = &cur
	}
	return nil
}

func set(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null" && string(raw) != "{}"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ELF machines of the two architectures.
const (
	elfX86_64  = 62
	elfAArch64 = 183
)

// checkBootstrapArch checks that the zip's bootstrap, if it is an ELF executable,
// is built for arch (x86_64 or arm64). A script bootstrap runs anywhere.
func checkBootstrapArch(zr *zip.Reader, arch string) error {
	for _, f := range zr.File {
		if name, _ := entryName(f); name != "bootstrap" || !f.Mode().IsRegular() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil // checkZip already accepted the zip; unpacking will say more
		}
		var hdr [20]byte
		_, err = io.ReadFull(rc, hdr[:])
		rc.Close()
		if err != nil || string(hdr[:4]) != "\x7fELF" {
			return nil
		}
		var order binary.ByteOrder = binary.LittleEndian
		if hdr[5] == 2 {
			order = binary.BigEndian
		}
		got := ""
		switch m := order.Uint16(hdr[18:]); m {
		case elfX86_64:
			got = "x86_64"
		case elfAArch64:
			got = "arm64"
		default:
			got = fmt.Sprintf("ELF machine %d", m)
		}
		if got != arch {
			return invalidParameter("Architectures", "The bootstrap in the zip is built for %s, but the function's architecture is %s: build bootstrap for %s (GOARCH=%s) or set Architectures to [%s].",
				got, arch, arch, goarch(arch), got)
		}
		return nil
	}
	return nil
}

func goarch(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "amd64"
}
