<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
<!-- A feed (RSS or Atom) as a browser that runs XSLT shows it: what a feed is, the
     subscribe page, and the posts. XSLT 1.0, for the browsers that still have it.
     about:legacy-compat: the <!DOCTYPE html> an XSLT 1.0 processor can write. The processor
     writes the head's charset <meta> itself (a second one would be invalid HTML). -->
<xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>
<xsl:variable name="site">{{ site.url }}</xsl:variable>
<xsl:variable name="base">{{ base }}</xsl:variable>
<xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
<xsl:template match="/">
<html lang="{{ site.language }}">
<head>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="color-scheme" content="light dark"/>
<title><xsl:value-of select="$title"/> (feed)</title>
<style>
{% include "_style.html" %}
</style>
</head>
<body>
<header class="masthead">
<div class="bar">
<p class="site-name"><a href="{{ base }}">{{ site.title }}</a></p>
{% if site.pages %}
<nav class="site-nav" aria-label="Site"><ul><li><a href="{{ base }}">Posts</a></li><li><a class="cta" href="{{ base }}subscribe/">Subscribe</a></li></ul></nav>
{% endif %}
</div>
</header>
<main>
<div class="page">
<p class="hint"><strong>This is a feed.</strong> Copy this page’s address into your feed
reader (NetNewsWire, Feedly, Inoreader, Thunderbird, newsboat...) to get each new post as it
is published.{% if site.pages %} <a href="{{ base }}subscribe/">Every way to subscribe</a>.{% endif %}</p>
<h1><xsl:value-of select="$title"/></h1>
<xsl:if test="/rss/channel/description | /atom:feed/atom:subtitle">
<p class="lead"><xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/></p>
</xsl:if>
<ul class="posts">
<xsl:for-each select="/rss/channel/item">
<li>
<p class="meta"><xsl:call-template name="rfc822-date"><xsl:with-param name="value" select="pubDate"/></xsl:call-template></p>
<h2><a><xsl:attribute name="href"><xsl:call-template name="local"><xsl:with-param name="url" select="link"/></xsl:call-template></xsl:attribute><xsl:value-of select="title"/></a></h2>
</li>
</xsl:for-each>
<xsl:for-each select="/atom:feed/atom:entry">
<li>
<p class="meta"><xsl:call-template name="iso-date"><xsl:with-param name="value" select="atom:updated"/></xsl:call-template></p>
<h2><a><xsl:attribute name="href"><xsl:call-template name="local"><xsl:with-param name="url" select="atom:link[not(@rel) or @rel='alternate']/@href"/></xsl:call-template></xsl:attribute><xsl:value-of select="atom:title"/></a></h2>
</li>
</xsl:for-each>
</ul>
</div>
</main>
</body>
</html>
</xsl:template>

<!-- One of the site's URLs as a root-relative link (it works in a local preview too). -->
<xsl:template name="local">
<xsl:param name="url"/>
<xsl:choose>
<xsl:when test="starts-with($url, $site)"><xsl:value-of select="concat($base, substring-after($url, $site))"/></xsl:when>
<xsl:otherwise><xsl:value-of select="$url"/></xsl:otherwise>
</xsl:choose>
</xsl:template>

<!-- RFC 822 (RSS pubDate), "Sat, 05 Dec 2026 10:00:00 +0100", the weekday optional: "5 Dec 2026". -->
<xsl:template name="rfc822-date">
<xsl:param name="value"/>
<xsl:variable name="rest">
<xsl:choose>
<xsl:when test="contains($value, ',')"><xsl:value-of select="normalize-space(substring-after($value, ','))"/></xsl:when>
<xsl:otherwise><xsl:value-of select="normalize-space($value)"/></xsl:otherwise>
</xsl:choose>
</xsl:variable>
<xsl:variable name="after-day" select="substring-after($rest, ' ')"/>
<xsl:value-of select="concat(number(substring-before($rest, ' ')), ' ', substring-before($after-day, ' '), ' ', substring(substring-after($after-day, ' '), 1, 4))"/>
</xsl:template>

<!-- RFC 3339 (Atom updated), "2026-12-05T10:00:00+01:00": "5 Dec 2026". -->
<xsl:template name="iso-date">
<xsl:param name="value"/>
<xsl:variable name="month" select="number(substring($value, 6, 2))"/>
<xsl:value-of select="concat(number(substring($value, 9, 2)), ' ', substring('JanFebMarAprMayJunJulAugSepOctNovDec', 3 * $month - 2, 3), ' ', substring($value, 1, 4))"/>
</xsl:template>
</xsl:stylesheet>
