<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
<!-- about:legacy-compat: the <!DOCTYPE html> an XSLT 1.0 processor can write. The processor
     writes the head's charset <meta> itself (a second one would be invalid HTML). -->
<xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>
<xsl:template match="/">
<html>
<head>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/> (feed)</title>
<style>
body { font: 18px/1.6 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
.hint { background: #fff7d6; color: #222; padding: 0.8em 1em; border-radius: 6px; }
code { background: #0001; padding: 0 0.3em; }
</style>
</head>
<body>
<p class="hint"><strong>This is a feed.</strong> Copy this page's address into your feed
reader (NetNewsWire, Feedly, newsboat, Thunderbird...) to subscribe and get new posts
as they are published.</p>
<h1><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></h1>
<ul>
<xsl:for-each select="/rss/channel/item">
<li><a href="{link}"><xsl:value-of select="title"/></a><xsl:text> · </xsl:text><small><xsl:value-of select="pubDate"/></small></li>
</xsl:for-each>
<xsl:for-each select="/atom:feed/atom:entry">
<li><a href="{atom:link[not(@rel) or @rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a><xsl:text> · </xsl:text><small><xsl:value-of select="atom:updated"/></small></li>
</xsl:for-each>
</ul>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
