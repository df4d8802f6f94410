# 390: encoded-character in a text: block
require ["reject", "encoded-character"];
reject text:
not ${hex:41}llowed
.
;
