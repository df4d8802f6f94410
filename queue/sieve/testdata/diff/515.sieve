# 515: ereject with a multi-line reason
require "ereject";
ereject text:
Not accepted.
Go away.
.
;
