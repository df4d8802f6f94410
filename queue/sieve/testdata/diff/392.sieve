# 392: text: with a comment after the colon
require "reject";
reject text: # why
refused
.
;
