package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// handleFile starts an import of a CSV file an admin sent. The segment
// comes from the message text ("import into Sales", or just "Sales");
// without one the bot asks which segment, keeping the file for a while.
func (b *Bot) handleFile(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) {
		if !ev.Personal {
			return say(text("Send files to me in a personal chat."))
		}
		if t := strings.ToLower(ev.File.Type); t != "" && t != "csv" && t != "txt" {
			return say(text("%s is not a CSV file. Save the sheet as CSV (one column of emails or ids) and send it again.", ev.File.Name))
		}
		name := cleanName(ev.Text)
		cmd, named := parseCommand(ev.Text)
		if named = named && cmd.verb == "import into"; named {
			name = cleanName(cmd.arg)
		}
		if name != "" {
			seg, err := b.store.FindSegmentByName(ctx, name)
			if err == nil {
				return b.startImport(ctx, ev, seg, *ev.File)
			} else if segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				return nil, err
			}
		}
		if named && name != "" {
			return b.offerCreate(ctx, ev, name)
		}
		return b.askSegment(ctx, ev)
	})
}

// offerCreate answers a file sent with "import into <name>" for a segment
// that does not exist: one tap creates it and imports the file, or the
// admin picks an existing segment. The button is signed, so the name and
// file it carries are the ones offered here.
func (b *Bot) offerCreate(ctx context.Context, ev segmentbot.Event, name string) (*segmentbot.Response, error) {
	resp, err := b.askSegment(ctx, ev)
	if err != nil {
		return nil, err
	}
	msg := &resp.Messages[0]
	msg.Title = "There is no segment " + name + " yet"
	msg.Text = fmt.Sprintf("Create it and import %s into it, or pick an existing segment.", ev.File.Name)
	create := segmentbot.Button{Title: "Create it and import", Action: b.sign(segmentbot.Action{
		Verb: segmentbot.VerbCreateImport, Arg: name + "\n" + ev.File.URL + "\n" + ev.File.Name})}
	msg.Buttons = append([]segmentbot.Button{create}, msg.Buttons...)
	return resp, nil
}

// createAndImport runs a tap on Create it and import: the segment is
// created (or found, when someone created it since) and the file imported.
func (b *Bot) createAndImport(ctx context.Context, ev segmentbot.Event, a *segmentbot.Action) (*segmentbot.Response, error) {
	parts := strings.SplitN(a.Arg, "\n", 3)
	if len(parts) != 3 || parts[0] == "" {
		return say(text("That button carried no file. Send the file again."))
	}
	seg, err := b.store.FindSegmentByName(ctx, parts[0])
	if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
		seg = &segmentbot.Segment{Name: parts[0]}
		err = b.store.CreateSegment(ctx, seg)
	}
	if err != nil {
		return friendly(err)
	}
	return b.startImport(ctx, ev, seg, segmentbot.File{URL: parts[1], Name: parts[2]})
}

// askSegment offers the existing segments as buttons and remembers the
// file so a typed "import into <new name>" can use it.
func (b *Bot) askSegment(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	b.mu.Lock()
	b.pendingFile[ev.Sender.ID] = pendingFile{file: *ev.File, expires: b.now().Add(30 * time.Minute)}
	b.mu.Unlock()
	segs, err := b.store.FindSegments(ctx, segmentbot.Page{Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	msg := segmentbot.Message{
		Title: "Which segment should I fill with " + ev.File.Name + "?",
		Text:  "Tap one, or type import into _name_ to make a new segment.",
		// Markdown: the placeholder shows in italics.
		Markdown: true,
	}
	for _, s := range segs {
		if s.CheckManual() != nil {
			continue // a rule segment takes no file
		}
		msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: s.Name, Action: b.sign(segmentbot.Action{
			Verb: segmentbot.VerbPickSegment, SegmentID: s.ID, Arg: ev.File.URL + "\n" + ev.File.Name})})
	}
	return say(msg)
}

// importPicked starts the import the admin picked a segment for.
func (b *Bot) importPicked(ctx context.Context, ev segmentbot.Event, a *segmentbot.Action) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByID(ctx, a.SegmentID)
	if err != nil {
		return friendly(err)
	}
	url, name, _ := strings.Cut(a.Arg, "\n")
	return b.startImport(ctx, ev, seg, segmentbot.File{URL: url, Name: name})
}

// importPending handles a typed "import into <name>" after a file: the
// segment is created when it does not exist.
func (b *Bot) importPending(ctx context.Context, ev segmentbot.Event, name string) (*segmentbot.Response, error) {
	b.mu.Lock()
	p, ok := b.pendingFile[ev.Sender.ID]
	delete(b.pendingFile, ev.Sender.ID)
	b.mu.Unlock()
	if !ok || b.now().After(p.expires) {
		return say(text("Send me the CSV file with the message import into %s.", name))
	}
	seg, err := b.store.FindSegmentByName(ctx, name)
	if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
		seg = &segmentbot.Segment{Name: name}
		err = b.store.CreateSegment(ctx, seg)
	}
	if err != nil {
		return friendly(err)
	}
	return b.startImport(ctx, ev, seg, p.file)
}

// startImport queues the import; a worker downloads, imports and reports
// in this chat. The import is queued only once the "Got it" is delivered,
// so its progress card always comes after it; a failure to queue releases
// the activity, and the channel's retry runs it again. A rule segment
// takes no file: the admin is told why, and nothing is queued.
func (b *Bot) startImport(ctx context.Context, ev segmentbot.Event, seg *segmentbot.Segment, f segmentbot.File) (*segmentbot.Response, error) {
	if err := seg.CheckManual(); err != nil {
		return friendly(err)
	}
	imp := &segmentbot.Import{SegmentID: seg.ID, Channel: ev.Channel, FileURL: f.URL, FileName: f.Name, UploadedBy: ev.Sender.ID}
	err := afterReplied(ctx, func(ctx context.Context) error {
		if err := b.store.CreateImport(ctx, imp); err != nil {
			return fmt.Errorf("queue import into %d: %w", seg.ID, err)
		}
		b.importer.Wake()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return say(text("Got it: importing %s into %s in the background. I'll post progress here.", f.Name, seg.Name))
}

func (b *Bot) listImports(ctx context.Context, loc *time.Location) (*segmentbot.Response, error) {
	imps, err := b.store.FindImports(ctx, 0, 10)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	if len(imps) == 0 {
		return say(text("No imports yet. Send me a CSV file to start one."))
	}
	msg := segmentbot.Message{Title: "Recent imports"}
	for _, imp := range imps {
		seg := fmt.Sprintf("segment %d", imp.SegmentID)
		if s, err := b.store.FindSegmentByID(ctx, imp.SegmentID); err == nil {
			seg = s.Name
		}
		msg.Facts = append(msg.Facts, segmentbot.Fact{
			Name:  fmt.Sprintf("#%d %s", imp.ID, imp.CreatedAt.In(loc).Format("Jan 2 15:04")),
			Value: fmt.Sprintf("%s into %s: %s, %s of %s added", imp.FileName, seg, segmentbot.StatusText(imp.Status), segmentbot.Count(imp.Added), segmentbot.Count(imp.Total)),
		})
		if imp.Done() && len(msg.Buttons) < 5 {
			msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: fmt.Sprintf("Report #%d", imp.ID), URL: b.ReportURL(imp.ID)})
		}
	}
	return say(msg)
}
