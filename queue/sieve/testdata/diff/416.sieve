# 416: multi-line string in a CRLF script
require "reject";
reject text:
line one
line two
.
;
