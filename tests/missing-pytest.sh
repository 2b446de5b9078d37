#!/bin/sh
echo "pytest was not found when configure ran: apt-get install python3-pytest, then ./configure again" >&2
exit 1
