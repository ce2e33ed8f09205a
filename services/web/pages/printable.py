"""The printable SKP and evaluation document (Dokumen Evaluasi Kinerja Pegawai) as PDF.

Who may print whose document is the services' answer: the page reads everything with the signed-in
person's token (the employee themself, their supervisor and HR are let through), and a refusal
is the 403 page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from services.web.access import SIGNED_IN, person_of
from services.web.export import pdf_of
from services.web.pages.params import PagesDep, WebDep


@get("/print/{cycle_id:str}/{document:str}", guards=[SIGNED_IN])
async def evaluation_document(
    request: Request[Any, Any, Any],
    pages: PagesDep,
    web: WebDep,
    cycle_id: FromPath[str],
    document: FromPath[str],
) -> Response[bytes]:
    """``/print/<cycle>/<nip>.pdf``: the plan's results and indicators with their targets and the
    final realisations, the predicate, and the signature blocks of the appraising official and the
    employee."""
    nip = document.removesuffix(".pdf")
    if nip == document or not nip.isdigit():
        raise NotFoundException()
    person = person_of(request)
    evaluation = await web.evaluation(person, cycle_id, nip)
    html = pages.html(request, "print_evaluation.html", printed=datetime.now(UTC), **evaluation)
    pdf = await anyio.to_thread.run_sync(pdf_of, html)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="evaluasi-{cycle_id}-{nip}.pdf"'},
    )
