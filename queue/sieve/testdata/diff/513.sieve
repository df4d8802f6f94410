# 513: vacation replies to the envelope sender, not the From header
require "vacation";
vacation :days 1 "Away.";
