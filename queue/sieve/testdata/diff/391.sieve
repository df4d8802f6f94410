# 391: dot-stuffing in a text: block
require "reject";
reject text:
..leading dot
.
;
