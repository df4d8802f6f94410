# 418: quoted string with a line break inside
require "reject";
reject "first
second";
