# 278: ereject
require "ereject";
ereject "Spam is refused.";
