# 348: text: without the terminating dot
require "reject";
reject text:
never ends
