package cards_test

import (
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		msg  segmentbot.Message
		want string
	}{
		{"empty", segmentbot.Message{}, ""},
		{"segment card", segmentCard(false),
			"Sales news\nWeekly news for the sales team.\nJoin to receive it.\n[Join] [Leave]"},
		{"report card with facts",
			reportCard(),
			"Import finished\nYour file members.csv was imported into Sales news.\nAdded: 1,204\nFailed: 3\n[Download report] [Members]"},
		{"image", segmentbot.Message{Text: "t", ImageURL: "https://x.example/i.png"}, "t\nhttps://x.example/i.png"},
		{"carousel", carousel(),
			"Pick your segments\nJoin the ones you want news from.\n" +
				"---\nSales news\nFor sales.\nhttps://bot.example.com/sales.png\n[Join]\n" +
				"---\nIT outages\nWhen things break.\n[Join] [Leave]"},
		{"carousel without lead text", segmentbot.Message{Carousel: []segmentbot.Message{{Title: "A"}, {Title: "B"}}},
			"---\nA\n---\nB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cards.Text(tt.msg); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
