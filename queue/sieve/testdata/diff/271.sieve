# 271: reject with a multi-line reason
require "reject";
reject text:
I do not accept
mail from you.
.
;
