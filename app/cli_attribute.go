package app

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/srgplatform/srg/modules/attribution/markov"
	"github.com/srgplatform/srg/modules/attribution/paths"
	"github.com/srgplatform/srg/modules/attribution/shapley"
)

// attributeModels lists srg attribute's models in output order; "all" runs each.
func attributeModels() []string {
	return []string{"first_touch", "last_touch", "linear", "markov", "shapley"}
}

func attributeFlags(fs *flag.FlagSet) {
	fs.String("paths", "", "path file in ChannelAttribution's format: columns path, total_conversions and optionally total_conversion_value, total_null (required)")
	fs.String("model", "all", "one of "+strings.Join(attributeModels(), ", ")+", or all")
	fs.Int("order", 1, "Markov chain order, 1 to 4")
	fs.String("sep", paths.DefaultSep, "separator between channels in the path column")
	fs.String("out", "-", "output CSV file, - for standard output")
	fs.Uint64("seed", 1, "seed for Shapley sampling (used only beyond 15 channels)")
}

func runAttribute(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: attribute takes no arguments, got %q", errUsage, args)
	}
	get := func(name string) any { return fs.Lookup(name).Value.(flag.Getter).Get() }
	in, model, order := get("paths").(string), get("model").(string), get("order").(int)
	if in == "" {
		return fmt.Errorf("%w: --paths is required", errUsage)
	}
	models := attributeModels()
	if model == "linear_touch" { // ChannelAttribution's name for it
		model = "linear"
	}
	if model != "all" {
		if !slices.Contains(attributeModels(), model) {
			return fmt.Errorf("%w: unknown model %q: want one of %s, or all", errUsage, model, strings.Join(attributeModels(), ", "))
		}
		models = []string{model}
	}
	if order < 1 || order > markov.MaxOrder {
		return fmt.Errorf("%w: --order %d is outside 1..%d", errUsage, order, markov.MaxOrder)
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("read %s: %w", in, err)
	}
	set, err := paths.Read(bufio.NewReaderSize(f, 1<<20), paths.Options{Sep: get("sep").(string)})
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}

	results := make([]paths.Attribution, len(models))
	for i, m := range models {
		switch m {
		case "first_touch":
			results[i] = paths.FirstTouch(set)
		case "last_touch":
			results[i] = paths.LastTouch(set)
		case "linear":
			results[i] = paths.LinearTouch(set)
		case "markov":
			r, err := markov.Attribute(set, markov.Options{Order: order})
			if err != nil {
				return err
			}
			results[i] = r.Attribution
		case "shapley":
			r, err := shapley.Attribute(set, shapley.Options{Seed: get("seed").(uint64)})
			if err != nil {
				return err
			}
			if !r.Exact {
				fmt.Fprintf(env.stderr, "shapley: %d channels, more than %d: estimated from %d sampled orders (seed %d); largest standard error %.4g conversions\n",
					len(set.Channels), shapley.ExactMaxChannels, r.Samples, get("seed").(uint64), slices.Max(r.StdErr.Conversions))
			}
			results[i] = r.Attribution
		}
	}

	out := get("out").(string)
	var w io.Writer = env.stdout
	var file *os.File
	if out != "-" {
		if file, err = os.Create(out); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		w = file
	}
	err = writeAttribution(w, set, models, results)
	if file != nil {
		err = errors.Join(err, file.Close())
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if file != nil {
		fmt.Fprintf(env.stdout, "attributed %d conversions over %d channels (%d rows, %d distinct paths) with %s; wrote %s\n",
			int64(set.TotalConversions()), len(set.Channels), set.Rows, len(set.Paths), strings.Join(models, ", "), out)
	}
	return nil
}

// writeAttribution writes one row per model and channel, with ChannelAttribution's
// column names; the value column appears only when the input had values. Twelve
// significant digits keep every figure exact to far below a cent or a conversion while
// hiding float noise such as 49.99999999999999.
func writeAttribution(w io.Writer, set *paths.Set, models []string, results []paths.Attribution) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("channel_name,model,total_conversions")
	if set.HasValue {
		bw.WriteString(",total_conversion_value")
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, m := range models {
		if m == "linear" {
			m = "linear_touch"
		}
		for ch, name := range set.Channels {
			buf = append(buf[:0], csvField(name)...)
			buf = append(buf, ',')
			buf = append(buf, m...)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, results[i].Conversions[ch], 'g', 12, 64)
			if set.HasValue {
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, results[i].Value[ch], 'g', 12, 64)
			}
			buf = append(buf, '\n')
			bw.Write(buf)
		}
	}
	return bw.Flush()
}

// csvField quotes a channel name when CSV needs it.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
