# 417: multi-line string keeps backslashes
require "reject";
reject text:
back\slash and \"quote\"
.
;
