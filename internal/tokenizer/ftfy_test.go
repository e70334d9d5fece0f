package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"testing"
)

// TestFixText runs ftfy.fix_text examples: most come from ftfy's own test
// suite (tests/test-cases/*.json, MIT licence), the rest from its
// documentation. They cover every single-byte codec ftfy tries, A0 bytes
// turned into spaces, lossy sequences, inconsistent mojibake, CESU-8, and
// negative cases that must stay as they are.
func TestFixText(t *testing.T) {
	cases := []struct{ in, want string }{
		// Windows-1252 / Latin-1 mojibake, one or more layers.
		{"cafÃ©", "café"},
		{"sÃ³", "só"},
		{"HÃ´tel de Police", "Hôtel de Police"},
		{"DOS AÃ‘OS", "DOS AÑOS"},
		{"RUF MICH ZURÃœCK", "RUF MICH ZURÜCK"},
		{"Ä°stanbul", "İstanbul"},
		{"Beta Haber: HÄ±rsÄ±zÄ± BÃ¼yÃ¼ Korkuttu", "Beta Haber: Hırsızı Büyü Korkuttu"},
		{"Iggy Pop (nÃƒÂ© Jim Osterberg)", "Iggy Pop (né Jim Osterberg)"},
		{"The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.", "The Mona Lisa doesn't have eyebrows."},
		{"He's Justinâ\u009d¤", "He's Justin❤"},
		{"âœ” No problems", "✔ No problems"},
		{"×‘×”×•×“×¢×”", "בהודעה"},
		{"×\u0090×\u0091×\u0091×\u0090", "אבבא"},
		{"Ø±Ø³Ø§Ù„Ø©", "رسالة"},
		{"Ningboï¼ŒChina", "Ningbo,China"},
		{"Engkau masih yg terindah, indah di dalam hatikuâ™«~", "Engkau masih yg terindah, indah di dalam hatiku♫~"},
		// Other code pages.
		{"РґРѕСЂРѕРіРµ Р\u0098Р·-РїРѕРґ #С„СѓС‚Р±РѕР»", "дороге Из-под #футбол"},
		{"Blog Traffic Tip 2 вЂ“ Broadcast Email Your Blog", "Blog Traffic Tip 2 – Broadcast Email Your Blog"},
		{"LiĂ¨ge Avenue de l'HĂ´pital", "Liège Avenue de l'Hôpital"},
		{"Ř±ŘłŘ§Ů„Ř©", "رسالة"},
		{"Å veices baÅ†Ä·ieri gaida konkrÄ“tus investÄ«ciju projektus", "Šveices baņķieri gaida konkrētus investīciju projektus"},
		{"MĂĄm dost tĹ\u0099etĂ\u00adho tisĂ\u00adciletĂ\u00ad", "Mám dost třetího tisíciletí"},
		{"Le Vigne di Zam√≤", "Le Vigne di Zamò"},
		{"wei√ü", "weiß"},
		{"◊ë◊î◊ï◊ì◊¢◊î", "בהודעה"},
		{"#╨┐╤Ç╨░╨▓╨╕╨╗╤î╨╜╨╛╨╡", "#правильное"},
		{"a bigger-than-expected Г‚ВЈ5.8bn rights issue", "a bigger-than-expected £5.8bn rights issue"},
		// Spaces that were bytes A0, and the word "à".
		{"voilÃ  le travail", "voilà le travail"},
		{"voilÃ le travail", "voilà le travail"},
		{"ART TRIP Ã\u00a0 l'office de tourisme", "ART TRIP à l'office de tourisme"},
		{"com especial atenÃ§Ã£o Ã s crianÃ§as", "com especial atenção às crianças"},
		{"CÃ\u00a0nan nan GÃ\u00a0idheal", "Cànan nan Gàidheal"},
		// Lossy mojibake, CESU-8, inconsistent mixtures.
		{"â€œlossy decodingâ€�", "\"lossy decoding�"},
		{"The ICR has been upgraded to â€œbb+â€? from â€œbbâ€?", "The ICR has been upgraded to \"bb+� from \"bb�"},
		{"Hi guys í\u00a0½í¸\u008d", "Hi guys 😍"},
		{"hihi RT username: â\u0098ºí\u00a0½í¸\u0098", "hihi RT username: ☺😘"},
		{"Campeonatos > III DivisÃ£o - SÃ©rie F > Jornadas Classificação", "Campeonatos > III Divisão - Série F > Jornadas Classificação"},
		{"\u00e2\u0080\u009cmismatched quotes\u0085\u0094", "\"mismatched quotes…\""},
		{"â€œmismatched quotesâ€¦”", "\"mismatched quotes…\""},
		{"C'est vrai que nous n'en avons pas encore beaucoup parlé\u0085 Tu sais", "C'est vrai que nous n'en avons pas encore beaucoup parlé… Tu sais"},
		{"10Î&frac14;s", "10μs"},
		// Negative cases: not mojibake (apart from the usual quote fixes).
		{"I'm not such a fan of Charlotte Brontë…”", "I'm not such a fan of Charlotte Brontë…\""},
		{"AHÅ™, the new sofa from IKEA", "AHÅ™, the new sofa from IKEA"},
		{"ВІКІ is Ukrainian for WIKI", "ВІКІ is Ukrainian for WIKI"},
		{"a radius of 10 Å—", "a radius of 10 Å—"},
		{"There are a lot of Ã’s in mojibake text", "There are a lot of Ã's in mojibake text"},
		{"HÅØYA ER BLÅØYD", "HÅØYA ER BLÅØYD"},
		{"Bremer/Mccoy – DrÃ¥ber", "Bremer/Mccoy – DrÃ¥ber"},
		{"4288×…", "4288×…"},
		{"PARCE QUE SUR LEURS PLAQUES IL Y MARQUÉ…", "PARCE QUE SUR LEURS PLAQUES IL Y MARQUÉ…"},
		{"Offering 5×£35 pin ups", "Offering 5×£35 pin ups"},
		{"NESTLÉ® requiere contratar personal", "NESTLÉ® requiere contratar personal"},
		{"C O N C L U S Ã O", "C O N C L U S Ã O"},
		{"├┤a┼┐a┼┐a┼┐a┼┐a", "├┤a┼┐a┼┐a┼┐a┼┐a"},
		{"(-1/2)! = √π", "(-1/2)! = √π"},
		{"These control characters \u001a are apparently intentional \u0081", "These control characters  are apparently intentional \u0081"},
		// Entities, escapes, ligatures, widths, quotes, line breaks.
		{"Broken text&hellip; it&#x2019;s ﬂubberiﬁc!", "Broken text… it's flubberific!"},
		{"HTML entities &lt;3", "HTML entities <3"},
		{"<em>HTML entities &lt;3</em>", "<em>HTML entities &lt;3</em>"},
		{"\u0001\u001b[36;44mI&#x92;m blue, da ba dee da ba doo&#133;\u001b[0m", "I'm blue, da ba dee da ba doo…"},
		{"\ufeffParty like\nit&rsquo;s 1999!", "Party like\nit's 1999!"},
		{"&macr;\\_(ã\u0083\u0084)_/&macr;", "¯\\_(ツ)_/¯"},
		{"P&EACUTE;REZ BUNDESSTRA&SZLIG;E", "PÉREZ BUNDESSTRASSE"},
		{"&ntilde; &Ntilde; &NTILDE; &nTILDE;", "ñ Ñ Ñ &nTILDE;"},
		{"&Jscr;ohn &HilbertSpace;ancock", "𝒥ohn ℋancock"},
		{"ＬＯＵＤ　ＮＯＩＳＥＳ", "LOUD NOISES"},
		{"Ｕﾀｰﾝ", "Uターン"},
		{"ŉ Chloroplas is ŉ organel", "'n Chloroplas is 'n organel"},
		{"uÌˆnicode", "ünicode"},
		{"one\r\ntwo\rthree\u2028four", "one\ntwo\nthree\nfour"},
		// Once a line with '<' is seen, entities are left alone from there on.
		{"a &amp; b\n<p> &amp;\nc &amp; d", "a & b\n<p> &amp;\nc &amp; d"},
	}
	for _, c := range cases {
		if got := fixText(c.in); got != c.want {
			t.Errorf("fixText(%+q)\n got  %+q\n want %+q", c.in, got, c.want)
		}
	}
}

// TestFixTextExtraLayer checks that one more layer of Latin-1 mojibake on
// top of the examples is also undone, as ftfy's test suite does.
func TestFixTextExtraLayer(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"cafÃ©", "café"},
		{"LiĂ¨ge Avenue de l'HĂ´pital", "Liège Avenue de l'Hôpital"},
		{"Hi guys í\u00a0½í¸\u008d", "Hi guys 😍"},
		{"РґРѕСЂРѕРіРµ Р\u0098Р·-РїРѕРґ #С„СѓС‚Р±РѕР»", "дороге Из-под #футбол"},
	} {
		b := []byte(c.in)
		latin1 := make([]rune, len(b))
		for i, x := range b {
			latin1[i] = rune(x)
		}
		if got := fixText(string(latin1)); got != c.want {
			t.Errorf("fixText(latin-1 of %+q)\n got  %+q\n want %+q", c.in, got, c.want)
		}
	}
}

func TestDecodeUTF8Variants(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"plain", "plain", true},
		{"nul\xc0\x80here", "nul\x00here", true},
		{"\xed\xa0\xbd\xed\xb8\x8d", "😍", true},
		{"\xed\xa0\xbd", "", false},      // a lone surrogate
		{"\xc0", "", false},              // a truncated Java NUL
		{"\xed\x9f\xbf", "\ud7ff", true}, // the last code point before the surrogates
	}
	for _, c := range cases {
		got, ok := decodeUTF8Variants([]byte(c.in))
		if ok != c.ok || got != c.want {
			t.Errorf("decodeUTF8Variants(%+q) = %+q, %v; want %+q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestRestoreByteA0(t *testing.T) {
	cases := []struct{ in, want string }{
		{"\xc3 la", "\xc3\xa0 la"},            // "à la": the space is kept
		{"\xc3 s ", "\xc3\xa0s "},             // Portuguese "às": the space was A0
		{"\xc3 quele", "\xc3\xa0quele"},       // "àquele"
		{"\xe2\x80 x", "\xe2\x80\xa0x"},       // E2 80 20
		{"\xe4 \x9c", "\xe4 \x9c"},            // E4 and above lead mostly to CJK: left alone
		{"\xe2 \x9c", "\xe2\xa0\x9c"},         // E2 20 9C
		{"\xf0\x9f\x98 ", "\xf0\x9f\x98\xa0"}, // a four-byte sequence
	}
	for _, c := range cases {
		if got := string(restoreByteA0([]byte(c.in))); got != c.want {
			t.Errorf("restoreByteA0(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}

func TestIsBad(t *testing.T) {
	for _, s := range []string{"cafÃ©", "â€œ", "Ã la", "\u0085", "Ã¢â‚¬Å“", "вЂ“"} {
		if !isBad([]rune(s)) {
			t.Errorf("isBad(%+q) = false", s)
		}
	}
	for _, s := range []string{"", "plain ascii", "café crème", "Ærøskøbing", "東京", "😀 emoji", "naïve façade"} {
		if isBad([]rune(s)) {
			t.Errorf("isBad(%+q) = true", s)
		}
	}
}

// TestUTF8ClueSizes compares the derived clue classes with the sizes of
// ftfy's hand-written lists (UTF8_CLUES in chardata.py).
func TestUTF8ClueSizes(t *testing.T) {
	initCodecs()
	for _, c := range []struct {
		name string
		set  runeSet
		want int
	}{
		{"utf8_first_of_2", clueFirstOf2, 124},
		{"utf8_first_of_3", clueFirstOf3, 66},
		{"utf8_first_of_4", clueFirstOf4, 9},
		{"utf8_continuation", clueContinuation, 64 + 1 + 94},
		{"utf8_continuation_strict", clueContinuationStr, 64 + 94 - 11},
	} {
		if got := c.set.size(); got != c.want {
			t.Errorf("%s has %d characters, want %d", c.name, got, c.want)
		}
	}
}

// TestFTFYEntityTable compares ftfy's entity table as built here with the
// one ftfy builds in Python (chardata.HTML_ENTITIES under Python 3.11): the
// SHA-256 of its entries sorted by name, one "name<TAB>text" line each.
func TestFTFYEntityTable(t *testing.T) {
	ftfyEntitiesOnce.Do(initFTFYEntities)
	if len(ftfyEntities) != 3501 {
		t.Errorf("%d entities, want 3501", len(ftfyEntities))
	}
	names := make([]string, 0, len(ftfyEntities))
	for name := range ftfyEntities {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\t%s\n", name, ftfyEntities[name])
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != "15e7989be9c3faf7089e0a43a23a1e9b4b26b0f8bdba1e5fe3703ffe51c8a14c" {
		t.Errorf("entity table hash %s differs from Python's", got)
	}
	for name, want := range map[string]string{"&SZLIG;": "SS", "&NAPOS;": "\u02bcN", "&EACUTE;": "É", "&AMP;": "&", "&IOTA;": "Ι"} {
		if got := ftfyEntities[name]; got != want {
			t.Errorf("%s = %+q, want %+q", name, got, want)
		}
	}
}
