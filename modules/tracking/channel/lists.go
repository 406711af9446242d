package channel

// site is one entry of a maintained list: the domain a referrer host is matched
// against, and the names marketers put in utm_source for it.
//
// A domain ending in ".*" ("google.*") stands for the label followed by any
// public-suffix-like tail (google.com, google.de, google.co.uk, google.com.br).
type site struct {
	domain string
	names  []string
}

// list is a named list with the rules for its wildcard domains.
type list struct {
	sites []site
	// subdomains restricts the hosts a wildcard domain matches to those whose
	// subdomain is empty or ends in one of these labels: www.google.com and
	// news.google.com are search, mail.google.com and docs.google.com are not. Nil
	// allows any subdomain.
	subdomains []string
}

// listByName returns the maintained list of that name, or nil.
func listByName(name string) *list {
	switch norm(name) {
	case ListSearchEngines:
		return &list{
			sites:      searchEngineSites(),
			subdomains: []string{"www", "m", "search", "news", "images", "scholar", "books", "video", "encrypted"},
		}
	case ListSocialNetworks:
		return &list{sites: socialNetworkSites()}
	}
	return nil
}

// SearchEngines returns the domains of the maintained search engine list; "google.*"
// stands for Google on every country domain.
func SearchEngines() []string { return domains(searchEngineSites()) }

// SocialNetworks returns the domains of the maintained social network list.
func SocialNetworks() []string { return domains(socialNetworkSites()) }

func domains(sites []site) []string {
	out := make([]string, len(sites))
	for i, s := range sites {
		out[i] = s.domain
	}
	return out
}

func searchEngineSites() []site {
	return []site{
		{"google.*", []string{"google"}},
		{"bing.com", []string{"bing"}},
		{"yahoo.*", []string{"yahoo"}},
		{"duckduckgo.com", []string{"duckduckgo", "ddg"}},
		{"baidu.com", []string{"baidu"}},
		{"yandex.*", []string{"yandex"}},
		{"ya.ru", nil},
		{"ecosia.org", []string{"ecosia"}},
		{"qwant.com", []string{"qwant"}},
		{"search.naver.com", []string{"naver"}},
		{"seznam.cz", []string{"seznam"}},
		{"startpage.com", []string{"startpage"}},
		{"search.brave.com", []string{"brave"}},
		{"search.aol.com", []string{"aol"}},
		{"ask.com", nil},
		{"sogou.com", []string{"sogou"}},
		{"so.com", nil},
		{"search.daum.net", []string{"daum"}},
		{"kagi.com", []string{"kagi"}},
		{"mojeek.com", []string{"mojeek"}},
		{"coccoc.com", []string{"coccoc"}},
		{"petalsearch.com", nil},
		{"yep.com", nil},
		{"metager.org", []string{"metager"}},
		{"presearch.com", []string{"presearch"}},
		{"swisscows.com", []string{"swisscows"}},
		{"dogpile.com", []string{"dogpile"}},
	}
}

func socialNetworkSites() []site {
	return []site{
		{"facebook.com", []string{"facebook", "fb", "meta"}},
		{"fb.com", nil},
		{"fb.me", nil},
		{"messenger.com", []string{"messenger"}},
		{"m.me", nil},
		{"instagram.com", []string{"instagram", "ig"}},
		{"linkedin.com", []string{"linkedin", "li"}},
		{"lnkd.in", nil},
		{"twitter.com", []string{"twitter", "tw", "x"}},
		{"x.com", nil},
		{"t.co", nil},
		{"youtube.com", []string{"youtube", "yt"}},
		{"youtu.be", nil},
		{"tiktok.com", []string{"tiktok"}},
		{"reddit.com", []string{"reddit"}},
		{"redd.it", nil},
		{"pinterest.*", []string{"pinterest"}},
		{"pin.it", nil},
		{"quora.com", []string{"quora"}},
		{"threads.net", []string{"threads"}},
		{"threads.com", nil},
		{"mastodon.social", []string{"mastodon"}},
		{"mastodon.online", nil},
		{"mstdn.social", nil},
		{"bsky.app", []string{"bluesky", "bsky"}},
		{"xing.com", []string{"xing"}},
		{"vk.com", []string{"vk", "vkontakte"}},
		{"ok.ru", nil},
		{"weibo.com", []string{"weibo"}},
		{"weibo.cn", nil},
		{"snapchat.com", []string{"snapchat"}},
		{"discord.com", []string{"discord"}},
		{"discord.gg", nil},
		{"discordapp.com", nil},
		{"tumblr.com", []string{"tumblr"}},
		{"whatsapp.com", []string{"whatsapp"}},
		{"wa.me", nil},
		{"telegram.org", []string{"telegram"}},
		{"t.me", nil},
		{"line.me", nil},
		{"news.ycombinator.com", []string{"hackernews", "hacker_news", "hn"}},
	}
}
